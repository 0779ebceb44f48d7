-- wrk script: POST the request bodies listed in a file, one JSON body per line, cycling
-- through them (one line: the same request repeated, "hot"; many: "cold").
--   wrk -s bodies.lua URL -- BODIES_FILE
-- Counts non-200 answers and GraphQL errors in answers, and prints one line
--   WRK-JSON {"requests": ..., "p50_us": ..., ...}
-- that tests/benchmarks/wrk.py reads.

local threads = {}

function setup(thread)
   thread:set("index", #threads)
   table.insert(threads, thread)
end

function init(args)
   local bodies = {}
   for line in io.lines(args[1]) do
      if #line > 0 then
         local headers = {["Content-Type"] = "application/json"}
         bodies[#bodies + 1] = wrk.format("POST", nil, headers, line)
      end
   end
   requests_ = bodies
   -- Threads start at different places in the list, so they do not send the same body
   -- at the same moment.
   position = (index * 7919) % #bodies
   bad_status = 0
   graphql_errors = 0
end

function request()
   position = position % #requests_ + 1
   return requests_[position]
end

function response(status, headers, body)
   if status ~= 200 then
      bad_status = bad_status + 1
   elseif string.find(body, '"errors":', 1, true) then
      -- A JSON key: inside a JSON string the quotes would be escaped.
      graphql_errors = graphql_errors + 1
   end
end

function done(summary, latency, requests)
   local bad, errors = 0, 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("bad_status")
      errors = errors + thread:get("graphql_errors")
   end
   local e = summary.errors
   io.write(string.format(
      'WRK-JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "bad_status": %d, "graphql_errors": %d, ' ..
      '"socket_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, bad, errors,
      e.connect + e.read + e.write, e.timeout))
end
