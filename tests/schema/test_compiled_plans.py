"""A compiled plan answers exactly what the interpreted plan (run_plan) answers, or
gives up exactly when it does: the fast tests in the generated code may only skip
work, never change a value."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from graphql import GraphQLObjectType

from schema.build import schema
from schema.plans import Entry, Fallback, compile_plan, leaf_entry, run_plan
from schema.types.image import Image

IMAGE = schema._schema.type_map["Image"]
PROVIDER = schema._schema.type_map["Provider"]
assert isinstance(IMAGE, GraphQLObjectType) and isinstance(PROVIDER, GraphQLObjectType)

# Values a leaf may meet: the expected type, nulls, other types each serializer
# converts or refuses, numbers outside Int's range, non-finite floats, subclasses.
ODD_VALUES: list[Any] = [
    "text", "", None, 0, 7, -(2**31), 2**31 - 1, 2**31, -(2**31) - 1, True, False,
    1.5, 2.0, math.inf, math.nan, b"bytes", ["list"], object(),
    type("MyStr", (str,), {})("sub"), type("MyInt", (int,), {})(3),
]  # fmt: skip


def _outcome(run: Any, *args: Any) -> Any:
    try:
        return ("answer", run(*args))
    except Fallback:
        return ("fallback",)


def _same(a: Any, b: Any) -> bool:
    """Equal outcomes, NaN included."""
    return repr(a) == repr(b) and type(a) is type(b)


def _image(**changes: Any) -> Image:
    values: dict[str, Any] = {
        "url": "https://example.org/a.png", "width": 640, "height": 480,
        "is_cached": True, "aspect_ratio": 4 / 3,
    }  # fmt: skip
    values.update(changes)
    return Image(**values)


@pytest.mark.parametrize(
    ("field", "attribute"),
    [
        ("url", "url"),
        ("width", "width"),
        ("isCached", "is_cached"),
        ("aspectRatio", "aspect_ratio"),
    ],
)
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_a_compiled_leaf_agrees_with_the_interpreted_one(
    field: str, attribute: str, value: Any
) -> None:
    entry = leaf_entry(IMAGE, field)
    assert entry is not None and entry.attribute == attribute
    plan = [entry, leaf_entry(IMAGE, "__typename")]
    assert plan[1] is not None
    source = _image(**{attribute: value})
    compiled = _outcome(compile_plan(plan), source, None)  # type: ignore[arg-type]
    interpreted = _outcome(run_plan, plan, source, None)
    assert _same(compiled, interpreted)


def _provider_plan() -> list[Entry]:
    """`{ name images { url width } }` on Provider, entries as the planner builds them."""
    from schema.plans import _field_entry

    images = _field_entry(PROVIDER, "logos", "images")
    name = _field_entry(PROVIDER, "name", "name")
    assert images is not None and name is not None and images.is_list
    images.plan = [e for e in (leaf_entry(IMAGE, "url"), leaf_entry(IMAGE, "width")) if e]
    return [name, images]


class NotAnImage:
    url = "https://example.org/b.png"
    width = 1


async def _pending() -> list[Image]:
    return []


@pytest.mark.parametrize(
    "images",
    [
        [_image(), _image(width=None)],
        [],
        None,  # non-null list: both give up
        (_image(),),  # a tuple is iterated on the slow path
        [_image(), None],  # a null item in a list of non-null items
        [_image(), NotAnImage()],  # an object of another type
        [_image(url=None)],  # a null in a nested non-null leaf
        "not a list",
    ],
    ids=repr,
)
def test_a_compiled_object_list_agrees_with_the_interpreted_one(images: Any) -> None:
    from schema.types.provider import Provider

    plan = _provider_plan()
    source = Provider.__new__(Provider)
    object.__setattr__(source, "name", "Example")
    object.__setattr__(source, "images", images)
    compiled = _outcome(compile_plan(plan), source, None)
    interpreted = _outcome(run_plan, plan, source, None)
    assert _same(compiled, interpreted)
    if images is not None and not isinstance(images, str):
        assert (
            compiled[0] == "answer"
            or None in images
            or any(not isinstance(i, Image) or i.url is None for i in images)
        )


def test_an_awaitable_value_is_closed_and_left_to_graphql_core() -> None:
    from schema.types.provider import Provider

    plan = _provider_plan()
    source = Provider.__new__(Provider)
    object.__setattr__(source, "name", "Example")
    pending = _pending()
    object.__setattr__(source, "images", pending)
    with pytest.raises(Fallback):
        compile_plan(plan)(source, None)
    assert pending.cr_frame is None  # closed: no "never awaited" warning later
    asyncio.run(asyncio.sleep(0))


def test_aliases_become_keys_in_selection_order() -> None:
    url = leaf_entry(IMAGE, "url")
    width = leaf_entry(IMAGE, "width")
    assert url is not None and width is not None
    url.name, width.name = "second_", "first"
    run = compile_plan([width, url])
    assert list(run(_image(), None)) == ["first", "second_"]


class NotAnArticle:
    slug = "looks-like-one"


@pytest.mark.parametrize("node", ["article", NotAnArticle(), None], ids=repr)
def test_an_object_of_another_type_is_left_to_graphql_core(node: Any) -> None:
    """Article implements Node, so graphql-core checks each value's type (is_type_of)."""
    from schema.plans import _field_entry
    from schema.types.article import Article
    from schema.types.connection import ArticleEdge

    edge_type = schema._schema.type_map["ArticleEdge"]
    article_type = schema._schema.type_map["Article"]
    assert isinstance(edge_type, GraphQLObjectType) and isinstance(article_type, GraphQLObjectType)
    assert article_type.is_type_of is not None
    entry = _field_entry(edge_type, "node", "node")
    slug = leaf_entry(article_type, "slug")
    assert entry is not None and slug is not None
    entry.plan = [slug]
    if node == "article":
        node = Article.__new__(Article)
        object.__setattr__(node, "slug", "a-real-one")
    source = ArticleEdge(cursor="c", node=node)
    compiled = _outcome(compile_plan([entry]), source, None)
    assert _same(compiled, _outcome(run_plan, [entry], source, None))
    expected = ("answer", {"node": {"slug": "a-real-one"}})
    assert compiled == (expected if isinstance(node, Article) else ("fallback",))
