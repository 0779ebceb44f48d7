"""The four request shapes of issue 6 and their hot and cold request bodies.

Each shape is one GraphQL query a frontend sends (POST, application/json). *Hot* repeats
one body; *cold* cycles through many distinct bodies (different variables, same shape) so
that no response cache smaller than the list can answer; a separate slice of distinct
bodies warms the server up without touching the measured ones.

The variables come from the served corpus itself, through the public API (cursors are
opaque): `prepare` pages through the articles and topics of a separate, throw-away server
process, so the measured server starts with nothing cached, then fetches and checks every
response, which the baseline later returns as prepared bytes.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from loaders.synthetic import COMMON_WORD_RANKS, vocabulary

PAGE = 20
# Frontends share a fragment between lists; "images" is the article's list of images,
# of which the card shows the first.
CARD = """fragment Card on Article {
  slug title excerpt publishedAt
  provider { name domain }
  topics { name }
  images { url width height }
}"""
HOME_FEED = (
    CARD
    + """
query HomeFeed($after: String) {
  articles(first: 20, after: $after) {
    edges { cursor node { ...Card } }
    pageInfo { hasNextPage endCursor }
  }
}"""
)
TOPIC_PAGE = (
    CARD
    + """
query TopicPage($slug: String!, $after: String) {
  topic(slug: $slug) {
    name articleCount
    articles(first: 20, after: $after) {
      edges { cursor node { ...Card } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
)
SEARCH = """query Search($q: String!) {
  search(query: $q, first: 20) {
    totalCount
    edges {
      score
      highlights { title excerpt }
      node { slug title publishedAt provider { name } }
    }
  }
}"""
ARTICLE_BY_URL = """query ArticleByUrl($url: String!) {
  article(url: $url) {
    title excerpt publishedAt
    provider { name }
    topics { name }
    images { url }
    related { title webUrl provider { name } article { slug title } }
  }
}"""

# What prepare() pages through to find variables.
ARTICLE_PAGES = """query Pages($after: String) {
  articles(first: 100, after: $after) {
    edges { cursor node { webUrl originalUrl related { position } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
TOPIC_LIST = """query Topics($after: String) {
  topics(first: 100, after: $after) {
    edges { node { slug articleCount } }
    pageInfo { hasNextPage endCursor }
  }
}"""
TOPIC_CURSORS = """query TopicCursors($slug: String!, $after: String) {
  topic(slug: $slug) {
    articles(first: 100, after: $after) {
      edges { cursor }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
QUERY_FIELDS = '{ __type(name: "Query") { fields { name } } }'
TOPIC_CURSOR_CAP = 1000  # deeper topic pages than this are not requested


@dataclass(frozen=True)
class Shape:
    key: str
    name: str
    query: str
    root: str  # the Query field it needs
    cold_target: float  # issue 6: cold ratio to the baseline at 100,000 articles


FEED = Shape("feed", "home feed", HOME_FEED, "articles", 0.04)
TOPIC = Shape("topic", "topic page", TOPIC_PAGE, "topic", 0.04)
SEARCH_SHAPE = Shape("search", "search", SEARCH, "search", 0.03)
ARTICLE = Shape("article", "article by URL", ARTICLE_BY_URL, "article", 0.08)
SHAPES = (FEED, TOPIC, SEARCH_SHAPE, ARTICLE)
HOT_TARGET = 0.5


def body(shape: Shape, variables: dict[str, Any]) -> str:
    """The exact request bytes (as text): compact, single-line JSON."""
    return json.dumps({"query": shape.query, "variables": variables}, separators=(",", ":"))


@dataclass
class Workload:
    shape: Shape
    hot: str = ""
    warmup: list[str] = field(default_factory=list)
    cold: list[str] = field(default_factory=list)
    unavailable: str = ""  # why the shape cannot be measured, e.g. the field is missing
    responses: dict[str, str] = field(default_factory=dict)  # body → newsgraph's answer

    def all_bodies(self) -> list[str]:
        return [self.hot, *self.warmup, *self.cold] if not self.unavailable else []


@dataclass
class CorpusIndex:
    """What the API says about the corpus: enough to build distinct variables."""

    cursors: list[str]  # every article, newest first
    related_urls: list[str]  # URL of each article with related references, newest first
    topics: list[tuple[str, int]]  # slug, articleCount; most articles first
    topic_cursors: dict[str, list[str]]
    query_fields: set[str]


class Api:
    def __init__(self, client: httpx.Client, url: str) -> None:
        self.client = client
        self.url = url

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post(self.url, json={"query": query, "variables": variables})
        payload: dict[str, Any] = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
        data: dict[str, Any] = payload["data"]
        return data

    def pages(self, query: str, path: Callable[[dict[str, Any]], Any] = lambda d: d,
              limit: int | None = None, **variables: Any) -> list[dict[str, Any]]:  # fmt: skip
        """All edges of a connection (at most `limit`), page by page."""
        edges: list[dict[str, Any]] = []
        after = None
        while limit is None or len(edges) < limit:
            connection = path(self(query, after=after, **variables))
            if connection is None:
                break
            edges += connection["edges"]
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        return edges[:limit]


def index_corpus(graphql_url: str) -> CorpusIndex:
    with httpx.Client(timeout=120) as client:
        api = Api(client, graphql_url)
        fields = {f["name"] for f in api(QUERY_FIELDS)["__type"]["fields"]}
        articles = api.pages(ARTICLE_PAGES, lambda d: d["articles"])
        topics = [
            (e["node"]["slug"], e["node"]["articleCount"])
            for e in api.pages(TOPIC_LIST, lambda d: d["topics"])
        ]
        topic_cursors = {
            slug: [
                e["cursor"]
                for e in api.pages(
                    TOPIC_CURSORS,
                    lambda d: d["topic"] and d["topic"]["articles"],
                    limit=min(count, TOPIC_CURSOR_CAP),
                    slug=slug,
                )
            ]
            for slug, count in topics
        }
    related_urls = [
        e["node"]["webUrl"] or e["node"]["originalUrl"]
        for e in articles
        if e["node"]["related"] and (e["node"]["webUrl"] or e["node"]["originalUrl"])
    ]
    return CorpusIndex(
        cursors=[e["cursor"] for e in articles],
        related_urls=related_urls,
        topics=sorted(topics, key=lambda t: (-t[1], t[0])),
        topic_cursors=topic_cursors,
        query_fields=fields,
    )


def spread(items: Sequence[Any], k: int) -> list[Any]:
    """k items evenly spaced over `items` (all of them when there are not more than k)."""
    if k >= len(items):
        return list(items)
    if k <= 0:
        return []
    step = len(items) / k
    return [items[int(i * step)] for i in range(k)]


def _split(shape: Shape, hot: dict[str, Any], pool: Sequence[dict[str, Any]], wanted: int,
           warmup: int, rng: random.Random) -> Workload:  # fmt: skip
    """Hot body, warm-up bodies and cold bodies; cold gets what is left after warm-up, so
    small corpora keep a useful cold list."""
    chosen = spread(pool, wanted + warmup)
    rng.shuffle(chosen)
    warm_n = min(warmup, len(chosen) // 10 or 1)
    bodies = [body(shape, v) for v in chosen]
    return Workload(shape, body(shape, hot), bodies[:warm_n], bodies[warm_n:])


def workloads(index: CorpusIndex, *, cold: int, warmup: int, seed: int) -> list[Workload]:
    rng = random.Random(seed)
    out: list[Workload] = []

    full_pages = index.cursors[: max(0, len(index.cursors) - PAGE)]
    out.append(_split(FEED, {"after": None}, [{"after": c} for c in full_pages], cold, warmup,
                      rng))  # fmt: skip

    hot_topic = index.topics[0][0]
    first_pages = [{"slug": s, "after": None} for s, _ in index.topics if s != hot_topic]
    deeper = [
        {"slug": slug, "after": c}
        for slug, count in index.topics
        for c in index.topic_cursors[slug][: max(0, count - PAGE)]
    ]
    # Every topic's first page (popular and rare alike) up to half the list, then deeper
    # pages, which popular topics have more of.
    firsts = spread(first_pages, (cold + warmup) // 2)
    pool = firsts + spread(deeper, cold + warmup - len(firsts))
    out.append(_split(TOPIC, {"slug": hot_topic, "after": None}, pool, cold, warmup, rng))

    if SEARCH_SHAPE.root in index.query_fields:
        hot_word = COMMON_WORD_RANKS[0][0]
        words = [{"q": w} for w in vocabulary() if w != hot_word]
        # The most common words: `spread` over the first cold+warmup keeps them in order.
        out.append(_split(SEARCH_SHAPE, {"q": hot_word}, words[: cold + warmup], cold, warmup,
                          rng))  # fmt: skip
    else:
        out.append(Workload(SEARCH_SHAPE, unavailable="n/a (no search field)"))

    urls = index.related_urls
    out.append(_split(ARTICLE, {"url": urls[0]}, [{"url": u} for u in urls[1:]], cold, warmup,
                      rng))  # fmt: skip
    return out


def check(shape: Shape, text: str) -> str | None:
    """Why a response is not a valid answer of its shape; None when it is."""
    try:
        payload = json.loads(text)
    except ValueError:
        return "not JSON"
    if payload.get("errors"):
        return f"GraphQL errors: {json.dumps(payload['errors'])[:300]}"
    data = (payload.get("data") or {}).get(shape.root)
    if data is None:
        return f"{shape.root} is null"
    if shape is FEED and len(data["edges"]) != PAGE:
        return f"{len(data['edges'])} articles instead of {PAGE}"
    return None


async def _fetch_all(url: str, bodies: list[str], concurrency: int = 4) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=concurrency)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> httpx.Response:
            async with gate:
                return await client.post(url, content=text.encode(), headers=headers)

        return await asyncio.gather(*(one(b) for b in bodies))


def fetch_responses(graphql_url: str, workload: Workload) -> None:
    """Fill `workload.responses`; raise on any answer that is not a valid one."""
    bodies = workload.all_bodies()
    answers = asyncio.run(_fetch_all(graphql_url, bodies))
    for text, answer in zip(bodies, answers, strict=True):
        problem = (
            f"HTTP {answer.status_code}" if answer.status_code != 200
            else check(workload.shape, answer.content.decode("utf-8"))
        )  # fmt: skip
        if problem:
            raise AssertionError(f"{workload.shape.name}: {problem}\nrequest: {text[:500]}")
        # The exact bytes: the baseline returns them unchanged.
        workload.responses[text] = answer.content.decode("utf-8")
