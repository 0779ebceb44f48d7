"""Deterministic synthetic corpus generator: `python -m loaders.synthetic OUT --count N --seed S`.

Benchmarks and load tests need corpora far larger than the 192-article sample in
`../shared/corpus/power-apps`, with the same *shape*, so that index sizes, query
selectivity and parse costs measured on them mean something. Everything here is
stdlib-only and driven by one `random.Random(seed)`: the same `(count, seed)` always
produces byte-identical files (no clock, no uuid, no `hash()`, no set iteration).

Distributions, and why
----------------------
Numbers marked *measured* come from the sample corpus (192 files); the rest are
choices that the sample cannot inform, explained inline.

* **Key order and layout** copy the corpus: category, title, excerpt,
  publishedDateTime, URLs, type, quality, heat, published, then blank-line separated
  blocks for featuredContent, provider, topics, images, related, secured. Parsers are
  exercised on the same text they will meet in production.
* **Line endings**: 30% of files use CRLF throughout (*measured* 57/192); never mixed
  within a file (*measured*: no file mixes them).
* **Title / excerpt length** are drawn from the *measured* vigintiles (inverse-CDF
  interpolation), so median title ~62 chars (15..131) and median excerpt ~240 chars
  (12..339). Excerpts end in a full stop about half the time, in `...` about 10% of the
  time and are otherwise cut mid-sentence, as real feed excerpts are.
* **Type**: 6.25% `video`, the rest `article` (*measured* 12/192). Videos, like the
  corpus's YouTube entries, have an `originalUrl` with a `?v=` query and **no webUrl**
  (so ~6% lack webUrl, *measured* 12/192) and carry an iframe `featuredContent`; 0.5% of
  articles also have one (*measured* 13/192 overall, ~7%).
* **AMP**: 3.6% of articles carry `ampWebUrl` + `cdnAmpWebUrl` (*measured* 7/192).
  Articles have `originalUrl == webUrl` (*measured*: always, when webUrl is present).
* **Quality** follows the *measured* vigintiles (11..189, median 72). **Heat** equals
  quality (*measured*: always) except 5% set to -1, the "unknown" value the reference
  seed uses, so code paths for -1 are exercised.
* **Published**: 68.75% true (*measured* 132/192). **Category**: always `news`
  (*measured*).
* **Dates** span five years (2017-2021), with a linearly rising density (the last year
  has ~2.3x the articles of the first), echoing the sample's growth (3, 74, 115 articles in
  2019, 2020, 2021-H1). Hour of day follows the *measured* UTC histogram (peak 08:00).
* **Topics**: 1, 2 or 3 per article with weights 72/26/2 (*measured* 140/51/1). The
  number of distinct topics grows with corpus size as 0.35 * count^0.6 (min 7): 7-8 for
  192 articles (*measured* 7), ~22 for 1,000, ~350 for 100,000. Popularity is Zipf
  (s = 1.0): a few topics are everywhere, most are rare, like the sample's head ("Power
  Apps" on every file) and tail (one-off topics).
* **Providers**: 1.2 * count^0.583 distinct providers (min 5): 26 for 192 articles
  (*measured* 26), ~67 for 1,000, ~1,000 for 100,000. Popularity is Zipf with s = 1.3:
  the sample is a single-vendor feed (82% one provider), which a multi-source corpus
  should not copy literally, but it keeps a heavy head (about a third of a 1,000-article
  corpus comes from the top provider) and a long tail of providers with few articles
  (*measured*: 21 of 26 providers have a single article). 85% of providers
  have a 50x50 logo in `provider.images` (*measured* 164/192), decided per provider so a
  provider's articles agree. Names and domains are invented (`*.example.com/org/net`).
* **Images**: 97% of articles have exactly one image (*measured* 186/192, never more);
  sizes follow the *measured* mix (1200x630 59%, 1280x720 9%, 1600x1600 7.5%, 400x400
  2.7%, the rest assorted landscape sizes). `isCached` is true 98% of the time
  (*measured*: always) so that both values exist.
* **secured**: random base64 of 273 bytes (82%), 402 (11%), 336 (6%) or 321/354 bytes,
  then `;` and base64 of 16 bytes: the *measured* lengths (364/536/448/428/472 + 24).
* **related**: the sample has none, the reference seed has three. A third of articles
  get 1-5 references (fewer more likely). 80% point at other generated articles, chosen
  near in publication order (related stories cluster in time) and possibly *later* ones,
  so ingest order matters. Their URL is the target's webUrl (or originalUrl for videos)
  in an equivalent but varied form - http/https, host case, explicit default port,
  trailing slash toggled, `utm_*` parameters, `#fragment` - about half untouched. The
  reference copies the target's title/date/provider/quality like real feeds do. The
  other 20% point at URLs outside the corpus (`/external/...` paths) and stay unresolved.
* **Body**: the sample's bodies are empty, but full-text search needs text: 2-4
  paragraphs of 2-4 sentences drawn from a Zipf-weighted vocabulary mixing function
  words with tech-news terms. Common terms are placed so that in a 1,000-article corpus
  roughly 48% of articles mention "data", ~25% "apps" and ~20% "cloud", while most
  vocabulary words are rare: searches with very different selectivity are available.
  Some bodies have a `##` heading, a bullet list or a link.
* **Paths**: `YYYY/MM/YYYY-MM-DD-<title-slug>-NNNNN.md`, NNNNN being the article's
  position in publication order (zero-padded to at least 5 digits), so file stems - and
  therefore slugs - are unique.
"""

from __future__ import annotations

import argparse
import base64
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# Measured tables (see the module docstring)
# ---------------------------------------------------------------------------------------------

# Vigintiles (0%, 5%, ..., 100%) of the sample corpus.
TITLE_LEN_Q = (15, 29, 33, 37, 42, 44, 49, 52, 55, 59, 62, 65, 69, 72, 78, 82, 85, 88, 93, 113, 131)
EXCERPT_LEN_Q = (
    12, 59, 89, 115, 137, 155, 177, 189, 198, 216, 240, 255, 263, 298, 301, 301, 302, 303, 305,
    306, 339,
)  # fmt: skip
QUALITY_Q = (11, 37, 37, 53, 61, 64, 68, 71, 72, 72, 72, 72, 77, 85, 87, 87, 89, 100, 104, 136, 189)
# Articles per UTC hour of publication, 00..23.
HOUR_WEIGHTS = (12, 3, 2, 1, 2, 5, 6, 15, 31, 23, 15, 12, 10, 5, 3, 6, 10, 5, 8, 7, 3, 3, 2, 3)
TOPIC_COUNT_WEIGHTS = ((1, 72), (2, 26), (3, 2))
IMAGE_SIZE_WEIGHTS = (((1200, 630), 110), ((1280, 720), 17), ((1600, 1600), 14), ((400, 400), 5))
IMAGE_OTHER_WEIGHT = 40  # remaining images: assorted landscape sizes
SECURED_BYTES_WEIGHTS = ((273, 158), (402, 21), (336, 11), (321, 1), (354, 1))

P_CRLF = 57 / 192
P_VIDEO = 12 / 192
P_ARTICLE_FEATURED = 1 / 192
P_AMP = 7 / 192
P_IMAGE = 186 / 192
P_IMAGE_CACHED = 0.98
P_PROVIDER_LOGO = 164 / 192
P_PUBLISHED = 132 / 192
P_HEAT_UNKNOWN = 0.05
P_RELATED = 1 / 3
P_RELATED_INTERNAL = 0.8
RELATED_COUNT_WEIGHTS = ((1, 30), (2, 25), (3, 20), (4, 15), (5, 10))
RELATED_WINDOW = 200  # internal references point at articles within this many positions

START = datetime(2017, 1, 1, tzinfo=UTC)
SPAN_DAYS = (datetime(2022, 1, 1, tzinfo=UTC) - START).days
DENSITY_SLOPE = 2.0  # density grows linearly from 1 to 1 + DENSITY_SLOPE over the span

TOPIC_ZIPF_S = 1.0
PROVIDER_ZIPF_S = 1.3
WORD_ZIPF_S = 0.9

# ---------------------------------------------------------------------------------------------
# Vocabulary (all invented or generic; organisations are well-known fictional names)
# ---------------------------------------------------------------------------------------------

FUNCTION_WORDS = (
    "the", "of", "and", "to", "a", "in", "for", "with", "on", "is", "that", "this", "are",
    "as", "by", "from", "its", "be", "will", "can", "new", "more", "now", "how", "their",
    "at", "or", "an", "has", "have", "which", "into", "across", "while", "about", "after",
    "than", "also", "without", "between",
)  # fmt: skip

# Roughly in order of intended popularity (Zipf rank). Words that tests and benchmarks
# search for are inserted at fixed ranks (COMMON_WORD_RANKS) instead.
CONTENT_WORDS = (
    "teams", "platform", "users", "model", "business", "update", "support", "developers",
    "release", "customers", "companies", "feature", "service", "preview", "security",
    "code", "tools", "market", "research", "system", "network", "available", "launch",
    "customer", "devices", "software", "public", "government", "services", "growth",
    "analytics", "management", "enterprise", "privacy", "open", "policy", "team",
    "experience", "automation", "partners", "mobile", "performance", "cost", "processing",
    "workflow", "integration", "hardware", "storage", "camera", "vision", "machine",
    "learning", "training", "image", "video", "language", "search", "model", "accuracy",
    "regulation", "report", "study", "investment", "startup", "funding", "revenue",
    "quarter", "chip", "sensor", "edge", "latency", "api", "dashboard", "connector",
    "pipeline", "database", "query", "index", "cluster", "container", "deployment",
    "infrastructure", "identity", "access", "compliance", "audit", "governance", "risk",
    "incident", "breach", "encryption", "authentication", "license", "pricing",
    "subscription", "partnership", "acquisition", "roadmap", "benchmark", "dataset",
    "labels", "annotation", "inference", "latency", "throughput", "bandwidth", "battery",
    "robot", "drone", "vehicle", "factory", "retail", "healthcare", "hospital", "bank",
    "insurance", "school", "city", "council", "police", "court", "agency", "regulator",
    "lawmakers", "ordinance", "ban", "framework", "standard", "specification", "protocol",
    "browser", "extension", "plugin", "library", "runtime", "compiler", "language",
    "notebook", "spreadsheet", "form", "portal", "chatbot", "assistant", "voice",
    "translation", "recommendation", "ranking", "fraud", "detection", "forecast",
    "simulation", "twin", "telemetry", "monitoring", "logging", "tracing", "alerting",
    "backup", "recovery", "migration", "upgrade", "patch", "vulnerability", "exploit",
    "ransomware", "phishing", "firewall", "gateway", "router", "satellite", "fiber",
    "spectrum", "carrier", "wireless", "broadband", "display", "headset", "wearable",
    "keyboard", "laptop", "tablet", "phone", "smartphone", "console", "game", "stream",
    "creator", "audience", "advertising", "campaign", "newsletter", "community", "forum",
    "event", "conference", "keynote", "webinar", "session", "workshop", "course",
    "certification", "skills", "hiring", "talent", "workforce", "remote", "office",
    "hybrid", "meeting", "calendar", "email", "document", "archive", "record", "ledger",
    "payment", "wallet", "invoice", "contract", "supply", "chain", "logistics", "warehouse",
    "shipping", "energy", "grid", "solar", "carbon", "emissions", "climate", "weather",
    "agriculture", "farm", "crop", "water", "health", "patient", "diagnosis", "scan",
    "genome", "protein", "drug", "trial", "vaccine", "lab", "university", "students",
    "teachers", "classroom", "library", "museum", "map", "location", "traffic", "parking",
    "transit", "airport", "port", "crane", "construction", "building", "housing", "rent",
    "budget", "tax", "election", "voter", "census", "survey", "poll", "opinion", "editorial",
    "interview", "podcast", "episode", "trailer", "review", "guide", "tutorial", "checklist",
    "template", "sample", "demo", "prototype", "pilot", "rollout", "adoption", "migration",
    "outage", "downtime", "latency", "resilience", "redundancy", "failover", "quota",
    "limits", "metrics", "kpi", "insight", "visualization", "chart", "report", "summary",
)  # fmt: skip

# Zipf ranks (1-based) giving these words a document frequency of roughly 48%, 25% and 20%
# in the default corpus: one common, one medium and one rarer term for full-text search.
COMMON_WORD_RANKS = (("data", 28), ("apps", 56), ("cloud", 130))

ADJECTIVES = (
    "new", "faster", "open", "secure", "private", "low-code", "hybrid", "real-time", "smarter",
    "cheaper", "global", "local", "responsible", "automated", "unified", "modern", "legacy",
    "experimental", "generally available", "public", "internal", "federated", "serverless",
)  # fmt: skip

VERBS = (
    "launches", "announces", "expands", "rolls out", "tests", "opens", "adds", "updates",
    "rethinks", "pauses", "restricts", "bans", "approves", "acquires", "invests in",
    "partners on", "previews", "retires", "simplifies", "accelerates",
)  # fmt: skip

ORGS = (
    "Contoso", "Fabrikam", "Northwind", "Adatum", "Litware", "Tailspin", "Woodgrove",
    "Proseware", "Fourth Coffee", "Wingtip", "Lamna", "Relecloud", "Trey Research",
    "Alpine Ski House", "Coho Winery", "Wide World Importers", "Humongous Insurance",
    "Lucerne Publishing", "Margie's Travel", "Graphic Design Institute",
)  # fmt: skip

BASE_TOPICS = (
    "AI", "Computer Vision", "Privacy", "Policy", "Cloud Computing", "Cybersecurity",
    "Low-code", "Data Engineering", "Machine Learning", "Robotics", "Open Source",
    "Developer Tools", "Mobile Apps", "Semiconductors", "Networking", "Databases",
    "Analytics", "Automation", "Natural Language Processing", "Speech Recognition",
    "Autonomous Vehicles", "Drones", "Smart Cities", "Digital Health", "Fintech",
    "E-commerce", "Supply Chain", "Energy", "Climate Tech", "Space", "Gaming",
    "Streaming", "Social Media", "Advertising", "Education Technology", "Remote Work",
    "Collaboration", "Identity", "Biometrics", "Regulation", "Antitrust", "Startups",
    "Venture Capital", "Quantum Computing", "Edge Computing", "Internet of Things",
    "Wearables", "AR and VR", "Blockchain", "Payments", "Accessibility", "Search",
    "Recommendation Systems", "Data Centers", "Telecom", "5G", "Satellites", "Chatbots",
    "Digital Twins", "MLOps", "DevOps", "Kubernetes", "Serverless", "APIs", "Observability",
    "Incident Response", "Ransomware", "Encryption", "Open Data", "Ethics", "Labor",
    "Public Sector", "Healthcare", "Retail", "Manufacturing", "Agriculture", "Logistics",
    "Insurance", "Banking", "Media",
)  # fmt: skip

TOPIC_QUALIFIERS = (
    "Enterprise", "Industrial", "Consumer", "Embedded", "Mobile", "Federated", "Green",
    "Responsible", "Open-source", "Realtime", "Healthcare", "Retail", "Automotive",
    "Financial", "Public-sector", "Rural", "Urban", "Small-business", "Academic", "Edge",
)  # fmt: skip

PROVIDER_PREFIXES = (
    "Daily", "Tech", "Cloud", "Data", "Signal", "Byte", "Circuit", "Pixel", "Vector",
    "Kernel", "Lattice", "Harbor", "Summit", "Metro", "Civic", "Northern", "Coastal",
    "Open", "Bright", "Quiet", "Rapid", "Silver", "Copper", "Granite", "Maple", "Cedar",
    "Orbit", "Beacon", "Compass", "Prairie", "Delta", "Atlas", "Nimbus", "Quantum",
    "Frontier", "Field", "Ledger", "Pioneer", "Union", "Capital",
)  # fmt: skip
PROVIDER_SUFFIXES = (
    "Wire", "Journal", "Review", "Post", "Times", "Insider", "Report", "Beat", "Digest",
    "Gazette", "Herald", "Monitor", "Weekly", "Daily", "Chronicle", "Dispatch", "Observer",
    "Tribune", "Bulletin", "Notes", "Brief", "Ledger", "Lab", "Desk", "Radar", "Pulse",
    "Index", "Signal", "Source", "Feed", "Register", "Courier",
)  # fmt: skip
PROVIDER_REGIONS = ("Europe", "Asia", "Africa", "Americas", "Nordics", "India", "Oceania")
PROVIDER_TLDS = ("com", "org", "net")

OUTSIDE_HOSTS = ("elsewhere.example.org", "otherpaper.example.net", "archive.example.com")
VIDEO_HOST = "videos.example.com"
UTM_VARIANTS = (
    "utm_source=newsletter&utm_medium=email",
    "utm_source=feed",
    "utm_campaign=weekly&utm_source=social&utm_medium=post",
    "utm_medium=referral",
)
FRAGMENTS = ("comments", "top", "related", "section-2")
_YAML_RESERVED = frozenset(
    {"y", "yes", "n", "no", "true", "false", "on", "off", "null", "~"}
)  # words PyYAML would not read as strings
_DANGLING = frozenset({*FUNCTION_WORDS, "what", "need", "uses", "ways", "is", "changing"})
_PLAIN_SAFE = re.compile(r"[A-Za-z][A-Za-z0-9 .&'-]*[A-Za-z0-9.]\Z")
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

# ---------------------------------------------------------------------------------------------
# Data model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    domain: str
    host: str  # the host its article URLs use (may carry `www.`)
    url_style: int  # 0: /YYYY/MM/slug-id/   1: /news/slug-id   2: /articles/id/slug.html
    logo: str | None


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    width: int
    height: int
    is_cached: bool


@dataclass(frozen=True, slots=True)
class Article:
    index: int
    published: datetime
    title: str
    slug: str
    excerpt: str
    provider: Provider
    is_video: bool
    original_url: str
    web_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    featured: str | None
    quality: int
    heat: int
    is_published: bool
    topics: list[str]
    image: Image | None
    secured: str
    crlf: bool
    rel_path: str


@dataclass(frozen=True, slots=True)
class _Weighted:
    """A population with cumulative weights, for fast repeated `rng.choices`."""

    items: tuple[str, ...]
    cum: tuple[float, ...]

    @classmethod
    def zipf(cls, items: Sequence[str], s: float) -> _Weighted:
        return cls(tuple(items), tuple(accumulate(1.0 / (r**s) for r in range(1, len(items) + 1))))

    def pick(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.items, cum_weights=self.cum, k=k)


@dataclass(frozen=True, slots=True)
class _Table:
    """Zipf sampling by table lookup: each word fills slots in proportion to its weight.

    About 4x cheaper per draw than bisecting cumulative weights, which matters for body
    text (~150 draws per article). With 2**15 slots the rarest vocabulary word still gets
    about ten, so the quantisation error is a few percent at most.
    """

    slots: tuple[str, ...]

    @classmethod
    def zipf(cls, items: Sequence[str], s: float, size: int = 1 << 15) -> _Table:
        weights = [1.0 / (r**s) for r in range(1, len(items) + 1)]
        scale = size / sum(weights)
        slots: list[str] = []
        for item, weight in zip(items, weights, strict=True):
            slots += [item] * max(1, round(weight * scale))
        return cls(tuple(slots))

    def pick(self, rng: random.Random, k: int = 1) -> list[str]:
        return rng.choices(self.slots, k=k)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _from_quantiles(rng: random.Random, q: Sequence[int]) -> int:
    """Sample by linear interpolation of an empirical quantile table (inverse CDF)."""
    u = rng.random() * (len(q) - 1)
    i = int(u)
    if i >= len(q) - 1:
        return q[-1]
    return round(q[i] + (q[i + 1] - q[i]) * (u - i))


def _weighted_int(rng: random.Random, table: Sequence[tuple[int, int]]) -> int:
    values: list[int] = [v for v, _ in table]
    weights = [w for _, w in table]
    picked: int = rng.choices(values, weights=weights)[0]
    return picked


def _quote(text: str) -> str:
    """A YAML double-quoted scalar (JSON-compatible escaping for `\\` and `"`)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scalar(text: str) -> str:
    """Plain YAML scalar when it would read back as this exact string, else quoted."""
    if _PLAIN_SAFE.match(text) and text.lower() not in _YAML_RESERVED:
        return text
    return _quote(text)


def slugify(text: str, limit: int = 60) -> str:
    slug = _SLUG_STRIP.sub("-", text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "untitled"


def vocabulary() -> list[str]:
    """Body words in Zipf rank order, most frequent first (search benchmarks draw from it)."""
    words = list(dict.fromkeys(CONTENT_WORDS))
    for word, rank in COMMON_WORD_RANKS:
        words.insert(rank - 1, word)
    return words


def _zipf_count(count: int, factor: float, exponent: float, minimum: int) -> int:
    return max(minimum, round(factor * math.pow(count, exponent)))


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------


class _Generator:
    def __init__(self, count: int, seed: int) -> None:
        self.count = count
        self.rng = random.Random(seed)
        self.width = max(5, len(str(max(count - 1, 0))))
        self.function_words = _Table.zipf(FUNCTION_WORDS, 0.8)
        self.content_words = _Table.zipf(vocabulary(), WORD_ZIPF_S)
        self.topics = _Weighted.zipf(self._topic_names(), TOPIC_ZIPF_S)
        self.providers = self._make_providers()
        self.provider_cum = tuple(
            accumulate(1.0 / (r**PROVIDER_ZIPF_S) for r in range(1, len(self.providers) + 1))
        )

    # --- corpus-level populations ----------------------------------------------------------

    def _topic_names(self) -> list[str]:
        wanted = _zipf_count(self.count, 0.35, 0.6, 7)
        base = list(BASE_TOPICS)
        self.rng.shuffle(base)
        # Keep the names of the reference seed's world near the head.
        head = ["AI", "Computer Vision", "Privacy", "Policy"]
        names = head + [t for t in base if t not in head]
        if wanted > len(names):
            combos = [f"{q} {t}" for q in TOPIC_QUALIFIERS for t in BASE_TOPICS]
            self.rng.shuffle(combos)
            names += combos
        return names[:wanted]

    def _make_providers(self) -> list[Provider]:
        wanted = _zipf_count(self.count, 1.2, 0.583, 5)
        pairs = [(p, s) for p in PROVIDER_PREFIXES for s in PROVIDER_SUFFIXES if p != s]
        self.rng.shuffle(pairs)
        names = [f"{p} {s}" for p, s in pairs]
        if wanted > len(names):
            names += [f"{n} {r}" for r in PROVIDER_REGIONS for n in names[: len(pairs)]]
        providers: list[Provider] = []
        seen: set[str] = set()
        for name in names:
            if len(providers) == wanted:
                break
            tld = PROVIDER_TLDS[len(providers) % len(PROVIDER_TLDS)]
            domain = f"{name.lower().replace(' ', '')}.example.{tld}"
            if domain in seen:
                continue
            seen.add(domain)
            host = f"www.{domain}" if self.rng.random() < 0.5 else domain
            logo = (
                f"https://assets.example.com/logos/{domain}-50x50.jpg"
                if self.rng.random() < P_PROVIDER_LOGO
                else None
            )
            providers.append(Provider(name, domain, host, self.rng.randrange(3), logo))
        return providers

    # --- text -------------------------------------------------------------------------------

    def _sentence(self, n_words: int, topic: str | None = None) -> str:
        """About `n_words` words: content words, each but the last followed by a function
        word 45% of the time. Only the function words actually used are drawn: this is the
        hot spot of a 100k-article run.
        """
        rng = self.rng
        random_ = rng.random
        content = self.content_words.pick(rng, max(1, round(n_words / 1.45)))
        function = self.function_words.pick(rng, len(content))
        last = len(content) - 1
        words = [
            f"{c} {f}" if i < last and random_() < 0.45 else c
            for i, (c, f) in enumerate(zip(content, function, strict=True))
        ]
        if topic is not None and random_() < 0.3:
            words.insert(rng.randrange(len(words) + 1), topic)
        text = " ".join(words)
        return text[:1].upper() + text[1:] + "."

    def _title(self, topic: str) -> str:
        rng = self.rng
        target = _from_quantiles(rng, TITLE_LEN_Q)
        org = rng.choice(ORGS)
        adj = rng.choice(ADJECTIVES)
        noun, noun2 = self.content_words.pick(rng, 2)
        form = rng.randrange(5)
        if form == 0:
            title = f"{org} {rng.choice(VERBS)} {adj} {noun} for {topic}"
        elif form == 1:
            title = f"{topic}: {adj} {noun} {rng.choice(VERBS)} {noun2}"
        elif form == 2:
            title = f"How {org} uses {topic} to improve {noun}"
        elif form == 3:
            title = f"{rng.randint(3, 12)} ways {noun} is changing {topic}"
        else:
            title = f"{adj.capitalize()} {noun} and {noun2}: what {topic} teams need to know"
        while len(title) < target:
            extra = self.content_words.pick(rng)[0]
            tails = [
                f" with {extra}",
                f" across {extra}",
                f" and {extra}",
                f" at {rng.choice(ORGS)}",
            ]
            if " in 20" not in title:
                tails.append(f" in {rng.randint(2017, 2021)}")
            title += rng.choice(tails)
        if len(title) > target + 8:
            cut = title[: target + 8].rsplit(" ", 1)[0]
            title = cut if len(cut) >= 12 else title
        words = title.rstrip(" :,").split(" ")
        while len(words) > 3 and words[-1].lower() in _DANGLING:
            words.pop()
        return " ".join(words).rstrip(" :,")

    def _excerpt(self, topic: str) -> str:
        rng = self.rng
        target = _from_quantiles(rng, EXCERPT_LEN_Q)
        text = ""
        while len(text) < target:
            text += (" " if text else "") + self._sentence(rng.randint(8, 22), topic)
        end = rng.random()
        if end < 0.5:  # whole sentences: the sentence end nearest to the target length
            before = text.rfind(".", 0, target + 1)
            after = text.find(".", target)
            if after < 0 or after + 1 > EXCERPT_LEN_Q[-1]:
                after = before
            stop = before if before >= 10 and target - before <= after - target else after
            if stop >= 10:
                return text[: stop + 1]
        cut = text[:target].rsplit(" ", 1)[0].rstrip(".,")
        return cut + " ..." if end < 0.6 else cut

    def _body(self, topics: list[str], provider: Provider) -> str:
        rng = self.rng
        parts: list[str] = []
        for p in range(rng.randint(2, 4)):
            if p > 0 and rng.random() < 0.2:
                heading = " ".join(self.content_words.pick(rng, rng.randint(2, 4)))
                parts.append("## " + heading[:1].upper() + heading[1:])
            sentences = [
                self._sentence(rng.randint(6, 16), rng.choice(topics))
                for _ in range(rng.randint(2, 4))
            ]
            if rng.random() < 0.1:
                word = self.content_words.pick(rng)[0]
                link = f"[{provider.name}](https://{provider.host}/)"
                sentences.append(f"Read more about {word} at {link}.")
            parts.append(" ".join(sentences))
            if rng.random() < 0.15:
                parts.append("\n".join("- " + w for w in self.content_words.pick(rng, 3)))
        return "\n\n".join(parts)

    # --- article fields ---------------------------------------------------------------------

    def dates(self) -> list[datetime]:
        rng = self.rng
        out: list[datetime] = []
        a = DENSITY_SLOPE
        hours = list(range(24))
        for _ in range(self.count):
            # Inverse CDF of density (1 + a*t) on [0, 1].
            u = rng.random()
            t = (-1 + math.sqrt(1 + a * (2 + a) * u)) / a
            day = min(int(t * SPAN_DAYS), SPAN_DAYS - 1)
            hour = rng.choices(hours, weights=HOUR_WEIGHTS)[0]
            moment = START + timedelta(
                days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60)
            )
            out.append(moment)
        out.sort()
        return out

    def _provider(self) -> Provider:
        return self.rng.choices(self.providers, cum_weights=self.provider_cum)[0]

    def _topic_list(self) -> list[str]:
        k = min(_weighted_int(self.rng, TOPIC_COUNT_WEIGHTS), len(self.topics.items))
        chosen: list[str] = []
        while len(chosen) < k:
            name = self.topics.pick(self.rng)[0]
            if name not in chosen:
                chosen.append(name)
        return chosen

    def _image(self, provider: Provider, when: datetime, slug: str, index: int) -> Image:
        rng = self.rng
        sizes = [s for s, _ in IMAGE_SIZE_WEIGHTS] + [(0, 0)]
        weights = [w for _, w in IMAGE_SIZE_WEIGHTS] + [IMAGE_OTHER_WEIGHT]
        width, height = rng.choices(sizes, weights=weights)[0]
        if width == 0:
            width = rng.randrange(600, 3000)
            height = round(width / rng.uniform(1.3, 2.2))
        ext = rng.choice(("jpg", "jpg", "png", "jpeg"))
        stem = slug[:40].rstrip("-")
        url = f"https://cdn.{provider.domain}/images/{when:%Y/%m}/{stem}-{index}.{ext}"
        return Image(url, width, height, rng.random() < P_IMAGE_CACHED)

    def _secured(self) -> str:
        size = _weighted_int(self.rng, SECURED_BYTES_WEIGHTS)
        blob = base64.b64encode(self.rng.randbytes(size)).decode("ascii")
        return blob + ";" + base64.b64encode(self.rng.randbytes(16)).decode("ascii")

    def _video_id(self, index: int) -> str:
        rnd = "".join(self.rng.choices(_ID_ALPHABET, k=6))
        return f"{rnd}{index:0{self.width}d}"

    def article(self, index: int, when: datetime) -> Article:
        rng = self.rng
        provider = self._provider()
        topics = self._topic_list()
        title = self._title(topics[0])
        slug = slugify(title)
        is_video = rng.random() < P_VIDEO
        featured: str | None = None
        web_url: str | None = None
        amp_url: str | None = None
        cdn_url: str | None = None
        if is_video:
            vid = self._video_id(index)
            original = f"https://{VIDEO_HOST}/watch?v={vid}"
            featured = _iframe(f"https://{VIDEO_HOST}/embed/{vid}")
        else:
            if provider.url_style == 0:
                path = f"/{when:%Y/%m}/{slug}-{index}/"
            elif provider.url_style == 1:
                path = f"/news/{slug}-{index}"
            else:
                path = f"/articles/{index}/{slug}.html"
            original = web_url = f"https://{provider.host}{path}"
            if rng.random() < P_AMP:
                amp_path = path + "amp/" if path.endswith("/") else path + "?outputType=amp"
                amp_url = f"https://{provider.host}{amp_path}"
                cdn_host = provider.host.replace("-", "--").replace(".", "-")
                cdn_url = f"https://{cdn_host}.cdn.ampproject.org/c/s/{provider.host}{amp_path}"
            if rng.random() < P_ARTICLE_FEATURED:
                featured = _iframe(f"https://{VIDEO_HOST}/embed/{self._video_id(index)}")
        quality = _from_quantiles(rng, QUALITY_Q)
        heat = -1 if rng.random() < P_HEAT_UNKNOWN else quality
        image = self._image(provider, when, slug, index) if rng.random() < P_IMAGE else None
        rel_path = f"{when:%Y/%m}/{when:%Y-%m-%d}-{slug}-{index:0{self.width}d}.md"
        return Article(
            index=index,
            published=when,
            title=title,
            slug=slug,
            excerpt=self._excerpt(topics[0]),
            provider=provider,
            is_video=is_video,
            original_url=original,
            web_url=web_url,
            amp_url=amp_url,
            cdn_amp_url=cdn_url,
            featured=featured,
            quality=quality,
            heat=heat,
            is_published=rng.random() < P_PUBLISHED,
            topics=topics,
            image=image,
            secured=self._secured(),
            crlf=rng.random() < P_CRLF,
            rel_path=rel_path,
        )

    # --- related references -----------------------------------------------------------------

    def _variant(self, url: str) -> str:
        """An equivalent form of `url` under the ingester's URL normalization."""
        rng = self.rng
        if rng.random() < 0.5:
            return url
        scheme, rest = url.split("://", 1)
        host, _, tail = rest.partition("/")
        path, _, query = tail.partition("?")
        if rng.random() < 0.3:
            scheme = "http" if scheme == "https" else "https"
        if rng.random() < 0.15:
            host = host.upper() if rng.random() < 0.5 else host.capitalize()
        if rng.random() < 0.08:
            host += ":80" if scheme == "http" else ":443"
        if rng.random() < 0.35:
            path = path[:-1] if path.endswith("/") else path + "/"
        if rng.random() < 0.35:
            query = f"{query}&{rng.choice(UTM_VARIANTS)}" if query else rng.choice(UTM_VARIANTS)
        out = f"{scheme}://{host}/{path}" + (f"?{query}" if query else "")
        if rng.random() < 0.12:
            out += "#" + rng.choice(FRAGMENTS)
        return out

    def related(self, art: Article, articles: list[Article]) -> list[list[str]]:
        """YAML lines (without the `related:` key) of each reference of `art`."""
        rng = self.rng
        refs: list[list[str]] = []
        for _ in range(_weighted_int(rng, RELATED_COUNT_WEIGHTS)):
            if len(articles) > 1 and rng.random() < P_RELATED_INTERNAL:
                window = min(RELATED_WINDOW, len(articles) - 1)
                j = art.index
                while j == art.index or not 0 <= j < len(articles):
                    j = art.index + round(rng.triangular(-window, window, 0))
                refs.append(self._internal_ref(articles[j]))
            else:
                refs.append(self._outside_ref())
        return refs

    def _internal_ref(self, target: Article) -> list[str]:
        rng = self.rng
        base = target.web_url if target.web_url and rng.random() < 0.5 else target.original_url
        lines = [f"title: {_quote(target.title)}"]
        if rng.random() < 0.7:
            lines.append(f"excerpt: {_quote(target.excerpt)}")
        lines.append(f"publishedDateTime: {_iso(target.published)}")
        lines.append(f"webUrl: {_quote(self._variant(base))}")
        if target.amp_url and target.cdn_amp_url:
            lines.append(f"ampWebUrl: {_quote(target.amp_url)}")
            lines.append(f"cdnAmpWebUrl: {_quote(target.cdn_amp_url)}")
        lines.append("type: " + ("video" if target.is_video else "article"))
        lines += _provider_lines(target.provider, logo=False)
        lines.append(f"quality: {target.quality}")
        if target.image is not None and rng.random() < 0.8:
            lines += ["images:", *_image_lines(target.image, "  ")]
        return lines

    def _outside_ref(self) -> list[str]:
        rng = self.rng
        topic = self.topics.pick(rng)[0]
        title = self._title(topic)
        provider = self._provider()
        host = rng.choice((*OUTSIDE_HOSTS, provider.host))
        token = "".join(rng.choices(_ID_ALPHABET[:62], k=8))
        when = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
        lines = [f"title: {_quote(title)}"]
        if rng.random() < 0.6:
            lines.append(f"excerpt: {_quote(self._excerpt(topic))}")
        lines.append(f"publishedDateTime: {_iso(when)}")
        lines.append(f"webUrl: {_quote(f'https://{host}/external/{slugify(title)}-{token}')}")
        lines.append("type: article")
        lines += _provider_lines(provider, logo=False)
        lines.append(f"quality: {_from_quantiles(rng, QUALITY_Q)}")
        return lines

    # --- rendering --------------------------------------------------------------------------

    def render(self, art: Article, articles: list[Article]) -> bytes:
        rng = self.rng
        lines = [
            "---",
            "category: news",
            f"title: {_quote(art.title)}",
            f"excerpt: {_quote(art.excerpt)}",
            f"publishedDateTime: {_iso(art.published)}",
            f"originalUrl: {_quote(art.original_url)}",
        ]
        if art.web_url:
            lines.append(f"webUrl: {_quote(art.web_url)}")
        if art.amp_url and art.cdn_amp_url:
            lines.append(f"ampWebUrl: {_quote(art.amp_url)}")
            lines.append(f"cdnAmpWebUrl: {_quote(art.cdn_amp_url)}")
        lines += [
            "type: " + ("video" if art.is_video else "article"),
            f"quality: {art.quality}",
            f"heat: {art.heat}",
            "published: " + ("true" if art.is_published else "false"),
            "",
        ]
        if art.featured:
            lines += [f"featuredContent: {_quote(art.featured)}", ""]
        lines += _provider_lines(art.provider, logo=True)
        lines += ["", "topics:", *(f"  - {_scalar(t)}" for t in art.topics), ""]
        if art.image is not None:
            lines += ["images:", *_image_lines(art.image, "  "), ""]
        if rng.random() < P_RELATED:
            lines.append("related:")
            for ref in self.related(art, articles):
                lines.append("  - " + ref[0])
                lines += ["    " + line for line in ref[1:]]
            lines.append("")
        lines += [
            f"secured: {_quote(art.secured)}",
            "---",
            "",
            self._body(art.topics, art.provider),
        ]
        text = "\n".join(lines) + "\n"
        if art.crlf:
            text = text.replace("\n", "\r\n")
        return text.encode("utf-8")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iframe(src: str) -> str:
    return (
        f'<iframe width="800" height="500" frameborder="0" src="{src}" '
        'allow="accelerometer; autoplay; encrypted-media; gyroscope; picture-in-picture" '
        "allowfullscreen></iframe>"
    )


def _provider_lines(provider: Provider, *, logo: bool) -> list[str]:
    lines = ["provider:", f"  name: {_scalar(provider.name)}", f"  domain: {provider.domain}"]
    if logo and provider.logo:
        lines += ["  images:", f"    - url: {_quote(provider.logo)}", "      width: 50",
                  "      height: 50"]  # fmt: skip
    return lines


def _image_lines(image: Image, indent: str) -> list[str]:
    return [
        f"{indent}- url: {_quote(image.url)}",
        f"{indent}  width: {image.width}",
        f"{indent}  height: {image.height}",
        f"{indent}  isCached: " + ("true" if image.is_cached else "false"),
    ]


def generate_corpus(out_dir: Path, count: int, *, seed: int = 1) -> list[Path]:
    """Write `count` synthetic articles under `out_dir`; return their paths, sorted.

    Deterministic: the same `(count, seed)` gives byte-identical files. Existing files
    with the same names are overwritten; other files in `out_dir` are left alone.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    gen = _Generator(count, seed)
    articles = [gen.article(i, when) for i, when in enumerate(gen.dates())]
    out_dir = Path(out_dir)
    made: set[Path] = set()
    paths: list[Path] = []
    for art in articles:
        path = out_dir / art.rel_path
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "wb") as handle:
            handle.write(gen.render(art, articles))
        paths.append(path)
    return sorted(paths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m loaders.synthetic",
        description="Write a deterministic synthetic corpus of markdown articles.",
    )
    parser.add_argument("out", type=Path, help="output folder (created if missing)")
    parser.add_argument("--count", type=int, default=1000, help="number of articles (1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    started = time.perf_counter()
    paths = generate_corpus(args.out, args.count, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(f"wrote {len(paths)} articles to {args.out} in {elapsed:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
