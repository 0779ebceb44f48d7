"""Running one GraphQL operation for the HTTP endpoint, and what its status is.

The document comes from the prepared-document cache (schema/build.py), so parse,
limit and validation errors cost a lookup when repeated. Status codes follow the
GraphQL-over-HTTP specification: a request that cannot run (it fails to parse or
validate, or its variables do not fit) is 400 with no `data` key under
`application/graphql-response+json`, and 200 with `"data": null` under the legacy
`application/json`; once execution starts, the answer is 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.protocol import GRAPHQL_RESPONSE, HttpError, Operation
from api.replies import error_json, format_error, outcome_for
from api.state import AppState
from loaders.shared import SharedRows
from schema.build import Policy, Prepared, execute_query, prepare, schema
from schema.context import Context
from schema.errors import Code


@dataclass(slots=True)
class Executed:
    status: int
    payload: dict[str, Any]
    outcome: str  # ok, field_error, request_error or rejected
    operation: str | None
    cacheable: bool = False  # a query answered without errors

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e["extensions"]["code"] for e in self.payload.get("errors", ()))


def _name(op: Operation, prepared: Prepared) -> str | None:
    if op.operation_name:
        return op.operation_name
    return prepared.operations[0][0] if len(prepared.operations) == 1 else None


class Executor:
    def __init__(self, state: AppState, policy: Policy) -> None:
        self.state = state
        self.policy = policy
        self.shared_rows = SharedRows()  # providers, topics, counts and facets (see there)

    def refused(
        self, media: str, errors: list[dict[str, Any]], name: str | None, status: int = 0
    ) -> Executed:
        """An operation that cannot run: no `data` under the spec's media type (400)."""
        if media == GRAPHQL_RESPONSE:
            payload: dict[str, Any] = {"errors": errors}
        else:
            payload = {"data": None, "errors": errors}
        status = status or (400 if media == GRAPHQL_RESPONSE else 200)
        executed = Executed(status, payload, "request_error", name)
        executed.outcome = outcome_for(executed.codes, "request_error")
        return executed

    async def run(
        self, op: Operation, query: str, method: str, media: str, request_id: bytes,
        version: int | None = None,
    ) -> Executed:  # fmt: skip
        """Run one operation; `version`: the corpus version the request observed."""
        prepared = prepare(query, self.policy)
        name = _name(op, prepared)
        if prepared.document is None:  # parse errors and limits
            return self.refused(media, [format_error(e) for e in prepared.errors], name)
        kind = prepared.operation_type(op.operation_name)
        if kind is not None and kind != "query" and method == "GET":
            raise HttpError(
                405,
                Code.METHOD_NOT_ALLOWED,
                f"a {kind} cannot be sent with GET: send it with POST",
                ((b"allow", b"POST"),),
            )
        if not prepared.ok:
            return self.refused(media, [format_error(e) for e in prepared.errors], name)
        if kind is None:
            message = (
                f"the document has no operation named {op.operation_name!r}"
                if op.operation_name
                else "the document has several operations: name the one to run in `operationName`"
            )
            error = error_json(Code.OPERATION_RESOLUTION_FAILURE, message)
            return self.refused(media, [error], name, status=400)
        if kind == "subscription":
            error = error_json(
                Code.OPERATION_NOT_SUPPORTED,
                "subscriptions are served over a websocket at /graphql "
                "(graphql-transport-ws or graphql-ws)",
            )
            return self.refused(media, [error], name, status=400)
        result = await self._execute(op, query, prepared, request_id, version)
        if not result.errors:
            return Executed(200, {"data": result.data}, "ok", name, cacheable=kind == "query")
        errors = [format_error(e) for e in result.errors]
        if result.data is None and all(e.path is None for e in result.errors):
            return self.refused(media, errors, name)  # e.g. variables that do not fit
        executed = Executed(200, {"data": result.data, "errors": errors}, "field_error", name)
        executed.outcome = outcome_for(executed.codes, "field_error")
        return executed

    async def _execute(
        self, op: Operation, query: str, prepared: Prepared, request_id: bytes,
        version: int | None,
    ) -> Any:  # fmt: skip
        state = self.state
        if state.reader is None:
            raise RuntimeError("the database is not open (the lifespan did not run)")
        context = Context(
            db=state.reader,
            watcher=state.watcher,
            limits=self.policy.limits,
            request_id=request_id.decode(),
            introspection=self.policy.introspection,
            suggestions=self.policy.suggestions,
            prepared=prepared,
            shared_rows=self.shared_rows.for_version(version),
        )
        if prepared.operation_type(op.operation_name) == "query":
            return await execute_query(prepared, context, op.variables, op.operation_name)
        return await schema.execute(
            query,
            variable_values=op.variables,
            context_value=context,
            operation_name=op.operation_name,
        )
