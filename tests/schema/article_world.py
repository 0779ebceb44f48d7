"""The corpus the article-list property tests run on, and how they ask the API.

The corpus: the hand-written fixtures, a few hundred synthetic articles (ties, missing
values, related links) and the edge articles below, ingested into a temporary
database; the reference (tests/reference.py) reads the same files.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loaders.ingest import ingest
from loaders.reader import Reader
from loaders.shared import SharedRows
from loaders.synthetic import generate_corpus
from schema.build import schema
from schema.context import Context
from tests.conftest import VALID
from tests.reference import Corpus, Fact, Filter, Order, Scope
from tests.schema.article_strategies import CursorWindow, Values, values_of

SYNTHETIC_COUNT = 300
SYNTHETIC_SEED = 7

# Articles that the fixtures and the generator do not make: ties on every order key,
# titles equal under case folding, case variants, extreme and negative scores, moments
# on month boundaries written with offsets, references to another root's article.
EDGE_ARTICLES = {
    "edge-tie-a.md": """title: Same title
publishedDateTime: 2021-06-01T00:00:00Z
type: Podcast
category: Opinion
quality: -7
heat: -5
published: true
topics: [Ties, Machine Learning]
provider: {domain: Edge.Example, name: Edge One}""",
    "edge-tie-b.md": """title: same TITLE
publishedDateTime: 2021-06-01T02:00:00+02:00
type: Podcast
quality: 0
heat: 0
topics: [Ties]
images: [{url: "https://edge.example/b.png"}]""",
    "edge-tie-c.md": """title: SAME TITLE
publishedDateTime: 2021-06-01T00:00:00Z
category: Opinion
quality: -20
published: false
topics: [Ties]
provider: {domain: edge.example, name: Edge One}
images: [{url: "https://edge.example/c1.png"}, {url: "https://edge.example/c2.png"}]""",
    "edge-strasse.md": """title: Straße
publishedDateTime: 2021-06-02T12:00:00+02:00
type: Übersicht
category: Ärger
quality: 2147483647
heat: 2147483647
published: true
topics: [Künstliche Intelligenz]
provider: {domain: edge.example, name: Edge One}""",
    "edge-strasse2.md": """title: STRASSE
publishedDateTime: 2021-06-02T10:00:00.000001Z
type: übersicht
category: ärger
quality: -2147483648
heat: -2147483648
published: false
topics: ["KÜNSTLICHE   intelligenz"]""",
    # Equal under case folding but not under lower(); the first file gets the lower id.
    "edge-title-fi.md": """title: ﬁnal call
publishedDateTime: 2021-06-04T00:00:00Z
type: article
quality: 50
heat: 50
published: true
topics: [Ties]""",
    "edge-title-fi2.md": """title: FINAL CALL
publishedDateTime: 2021-06-04T00:00:00Z
type: article
quality: 50
heat: 50
published: true
topics: [Ties]""",
    "edge-title-masse.md": """title: Maße
publishedDateTime: 2020-06-04T00:00:00Z
quality: 50
heat: 50""",
    "edge-title-masse2.md": """title: MASSE
publishedDateTime: 2020-06-05T00:00:00Z
quality: 50
heat: 50""",
    "edge-bare.md": """title: Ärger
publishedDateTime: 2021-01-31T23:59:59.999999Z""",
    "edge-bare-lower.md": """title: ärger
publishedDateTime: 2021-02-01
topics: [AI]""",
    "edge-offset-month.md": """title: A March date that is February in UTC
publishedDateTime: 2021-03-01T00:30:00+01:00
type: article
quality: 20
heat: 19
topics: [ai, Ties]""",
    "edge-related.md": """title: Cites the late arrival twice and itself once
publishedDateTime: 2021-06-03T00:00:00Z
type: Podcast
quality: 19
heat: 20
published: true
provider: {domain: late.example.net, name: Late Example (newer)}
webUrl: https://edge.example/related
related:
  - {title: Late, webUrl: "http://LATE.example.net/stories/late-arrival/?utm_source=x"}
  - {title: Late again, originalUrl: "https://late.example.net/stories/late-arrival"}
  - {title: Myself, webUrl: "https://edge.example/related#top"}""",
}


@dataclass(repr=False)
class World:
    runner: asyncio.Runner
    reader: Reader
    corpus: Corpus
    values: Values  # what the strategies draw from
    # Every request shares one store, as a server's requests at one corpus version do:
    # totals and facets that earlier examples counted come from it, and must still be
    # the reference's (a key missing a part of the list it describes would fail here).
    shared: SharedRows = field(default_factory=SharedRows)

    def __repr__(self) -> str:
        return f"World({len(self.corpus.facts)} articles)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints fixture arguments with a failing example, dataclasses field
        # by field unless they say otherwise. The whole corpus would drown the example
        # and (Hypothesis 6.170) turn the failure into a FlakyStrategyDefinition error.
        printer.text(repr(self))

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        result = self.runner.run(
            schema.execute(
                query,
                variable_values=variables,
                context_value=Context(db=self.reader, shared_rows=self.shared.for_version(1)),
            )
        )
        assert result.errors is None, (result.errors, variables)
        data: dict[str, Any] = result.data
        return data


@contextmanager
def open_world(base: Path) -> Iterator[World]:
    """Write and ingest the corpus under `base`; the reader stays open until exit."""
    synthetic, edge = base / "synthetic", base / "edge"
    generate_corpus(synthetic, SYNTHETIC_COUNT, seed=SYNTHETIC_SEED)
    edge.mkdir()
    for name, frontmatter in EDGE_ARTICLES.items():
        (edge / name).write_text(f"---\n{frontmatter}\n---\nBody.\n", encoding="utf-8")
    roots = [VALID, synthetic, edge]
    with asyncio.Runner() as runner:
        report = runner.run(ingest(base / "corpus.db", roots))
        assert not report.rejected, report.rejected
        reader = runner.run(Reader.open(base / "corpus.db", size=2))
        try:
            rows = runner.run(reader.fetch("SELECT id, path FROM articles"))
            ids = {path: ident for ident, path in rows}
            corpus = Corpus.load(roots, ids)
            assert sorted(a.path for a in corpus.facts) == sorted(ids), "reference misread files"
            yield World(runner, reader, corpus, values_of(corpus))
        finally:
            runner.run(reader.close())


# --- queries --------------------------------------------------------------------------

ARGS = "$filter: ArticleFilter, $orderBy: [ArticleOrder!], $first: Int, $after: String, " \
       "$last: Int, $before: String, $offset: Int"  # fmt: skip
PASS = "filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, " \
       "before: $before, offset: $offset"  # fmt: skip
PAGE = """
fragment Page on ArticleConnection {
  totalCount
  edges { cursor node { slug } }
  pageInfo { startCursor endCursor hasNextPage hasPreviousPage pageSize currentPage pageCount }
}
"""
# Where each scope's list lives: (its parent field with `$key`, or none).
PARENTS = {
    "all": None,
    "topic": "topic(slug: $key)",
    "provider": "provider(domain: $key)",
    "relatedBy": "article(slug: $key)",
}
LIST_FIELD = {"all": "articles", "topic": "articles", "provider": "articles",
              "relatedBy": "relatedBy"}  # fmt: skip


def list_document(scope: Scope, selection: str, extra_args: str = "") -> str:
    """A query selecting `selection` on the scope's list, aliased `list`."""
    kind = scope[0]
    field = f"list: {LIST_FIELD[kind]}({PASS}) {{ {selection} }}"
    parent = PARENTS[kind]
    args = ARGS + (", $key: String!" if parent else "") + extra_args
    body = f"{parent} {{ {field} }}" if parent else field
    return f"query Q({args}) {{ {body} }}"


def list_of(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The `list` of a list_document's result."""
    if PARENTS[scope[0]] is None:
        result: dict[str, Any] = data["list"]
        return result
    parent = next(iter(data.values()))
    assert parent is not None, f"{scope} does not exist"
    found: dict[str, Any] = parent["list"]
    return found


def fetch_page(
    world: World, scope: Scope, f: Filter | None, order: Order | None, **window: Any
) -> dict[str, Any]:
    """One page (the `Page` fragment) of the scope's list."""
    variables = {"filter": f, "orderBy": order, **window}
    if scope[1] is not None:
        variables["key"] = scope[1]
    return list_of(world.execute(list_document(scope, "...Page") + PAGE, variables), scope)


def slugs(page: dict[str, Any]) -> list[str]:
    return [e["node"]["slug"] for e in page["edges"]]


def _expected_info(
    n: int, lo: int, hi: int, size: int, *, number: int | None = None
) -> dict[str, Any]:
    """pageInfo of the page holding list items lo..hi-1 (lo == hi: an empty page at lo)."""
    return {
        "hasPreviousPage": lo > 0,
        "hasNextPage": hi < n,
        "pageSize": size,
        "currentPage": None if size == 0 else (lo if number is None else number) // size + 1,
        "pageCount": None if size == 0 else max(1, math.ceil(n / size)),
    }


def check_page(page: dict[str, Any], expected: list[Fact], lo: int, hi: int, size: int,
               *, number: int | None = None) -> None:  # fmt: skip
    """`page` holds expected[lo:hi] with the pageInfo of that slice; `number` is the
    offset that numbers a page asked by offset."""
    n = len(expected)
    assert slugs(page) == [a.slug for a in expected[lo:hi]]
    assert page["totalCount"] == n
    info = page["pageInfo"]
    cursors = [e["cursor"] for e in page["edges"]]
    assert info["startCursor"] == (cursors[0] if cursors else None)
    assert info["endCursor"] == (cursors[-1] if cursors else None)
    shown = {k: info[k] for k in ("hasPreviousPage", "hasNextPage", "pageSize", "currentPage",
                                  "pageCount")}  # fmt: skip
    assert shown == _expected_info(n, lo, hi, size, number=number)


def cursor_at(world: World, order: Order | None, rank: int | None) -> str | None:
    """The cursor of the article at `rank` in the whole corpus's order."""
    if rank is None:
        return None
    page = fetch_page(world, ("all", None), None, order, first=1, offset=rank)
    found: str = page["edges"][0]["cursor"]
    return found


def window_arguments(world: World, order: Order | None, w: CursorWindow) -> dict[str, Any]:
    """The `first`/`last`, `after` and `before` arguments of a cursor window."""
    return {
        "last" if w.backwards else "first": w.size,
        "after": cursor_at(world, order, w.after_at),
        "before": cursor_at(world, order, w.before_at),
    }
