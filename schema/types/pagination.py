"""Relay page info, and the checks every connection applies to its window arguments."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from loaders.reader import Reader
from loaders.reads import count_entities_before
from schema.errors import InvalidPagination, PageSizeError
from schema.execution import direct
from schema.limits import DEFAULT_LIMITS, DEFAULT_PAGE_SIZE, Limits

T = TypeVar("T")
R = TypeVar("R")
MAX_PAGE_SIZE = DEFAULT_LIMITS.max_page_size  # the default; servers may configure another

FIRST_DESCRIPTION = (
    f"How many items to return from the start or after `after`, 0 to {MAX_PAGE_SIZE} by "
    f"default (null means {DEFAULT_PAGE_SIZE} unless `last` is given)."
)
AFTER_DESCRIPTION = "Return items after this cursor (an `endCursor` or edge `cursor`)."
LAST_DESCRIPTION = (
    "How many items to return from the end or before `before` (paging backwards); "
    "not together with `first`."
)
BEFORE_DESCRIPTION = "Return items before this cursor (a `startCursor` or edge `cursor`)."
OFFSET_DESCRIPTION = (
    "Skip this many items first, for page-number navigation (page n is `offset: "
    "(n - 1) x first`). Only with `first`, not with cursors. Cursors are preferred: they "
    "stay correct when articles are added or removed between requests, and deep offsets "
    "cost more."
)

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)]
Last = Annotated[int | None, strawberry.argument(description=LAST_DESCRIPTION)]
Before = Annotated[str | None, strawberry.argument(description=BEFORE_DESCRIPTION)]
Offset = Annotated[int | None, strawberry.argument(description=OFFSET_DESCRIPTION)]


def _check_size(name: str, value: int, limit: int) -> int:
    if value < 0 or value > limit:
        raise PageSizeError(
            f"`{name}` must be between 0 and {limit}, got {value}; "
            "page through larger sets with cursors"
        )
    return value


def check_first(first: int | None, limits: Limits) -> int:
    """`first` as given, or the default when null; an error outside 0..max_page_size."""
    if first is None:
        return min(DEFAULT_PAGE_SIZE, limits.max_page_size)
    return _check_size("first", first, limits.max_page_size)


@dataclass(frozen=True, slots=True)
class Window:
    """Validated window arguments: exactly one of `first`/`last` is set."""

    first: int | None
    last: int | None
    offset: int

    @property
    def size(self) -> int:
        size = self.first if self.first is not None else self.last
        assert size is not None
        return size


def check_window(
    limits: Limits,
    first: int | None,
    last: int | None,
    *,
    cursors: bool = False,
    offset: int | None = None,
) -> Window:
    """Validate `first`/`last`/`offset` together; `cursors` says whether after/before came."""
    if first is not None and last is not None:
        raise InvalidPagination(
            "pass `first` or `last`, not both: `first` pages forwards, `last` backwards"
        )
    if offset is not None:
        if last is not None or cursors:
            raise InvalidPagination(
                "`offset` works only with `first`, not with `last`, `after` or `before`"
            )
        if offset < 0 or offset > limits.max_offset:
            raise InvalidPagination(
                f"`offset` must be between 0 and {limits.max_offset}, got {offset}; "
                "page deeper with cursors (`after`)"
            )
    if last is not None:
        return Window(None, _check_size("last", last, limits.max_page_size), 0)
    return Window(check_first(first, limits), None, offset or 0)


def _no() -> bool:
    return False


def _unknown() -> int | None:
    return None


# Page info callbacks answer with a value when they know it without I/O, else with
# an awaitable; the resolvers pass either on (graphql-core awaits what needs it).
Check = Callable[[], bool | Awaitable[bool]]
Count = Callable[[], int | Awaitable[int | None] | None]
Total = Callable[[], int | Awaitable[int]]


class Then(Generic[T, R]):
    """An awaitable of `use(await value)` that, dropped unawaited, closes `value` too
    (a selection plan drops what it cannot use; see schema/execution.py's `direct`)."""

    __slots__ = ("_use", "_value")

    def __init__(self, value: Awaitable[T], use: Callable[[T], R]) -> None:
        self._value = value
        self._use = use

    def __await__(self) -> Generator[Any, None, R]:
        return self._use((yield from self._value.__await__()))

    def close(self) -> None:
        close = getattr(self._value, "close", None)
        if close is not None:
            close()


def then(value: T | Awaitable[T], use: Callable[[T], R]) -> R:
    """`use(value)` now, or an awaitable of it once `value` arrives (typed as the value:
    graphql-core takes either from a resolver)."""
    if not inspect.isawaitable(value):
        return use(value)
    return Then(value, use)  # type: ignore[return-value]


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first item of this page; pass it as `before` for the "
        "previous page. Null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass it as `after` for the next page."
    )
    page_size: int = strawberry.field(description="The page size asked for (`first` or `last`).")
    previous_check: strawberry.Private[Check] = _no
    next_check: strawberry.Private[Check] = _no
    items_before: strawberry.Private[Count] = _unknown
    total: strawberry.Private[Total | None] = None

    @strawberry.field(
        description="Whether items precede this page (with `first`: whether any come "
        "before `after` or `offset`)."
    )
    @direct
    def has_previous_page(self) -> bool:
        return then(self.previous_check(), bool)

    @strawberry.field(
        description="Whether items follow this page (with `last`: whether any come after `before`)."
    )
    @direct
    def has_next_page(self) -> bool:
        return then(self.next_check(), bool)

    @strawberry.field(
        description="The number of this page in page-number navigation: 1 + (items before "
        "it) ÷ pageSize, rounded down. With cursors, the page holding this page's first "
        "item. Null when pageSize is 0."
    )
    @direct
    def current_page(self) -> int | None:
        size = self.page_size
        if size == 0:
            return None
        return then(
            self.items_before(), lambda before: None if before is None else before // size + 1
        )

    @strawberry.field(
        description="How many pages of pageSize the whole list fills (at least 1). Null when "
        "pageSize is 0."
    )
    @direct
    def page_count(self) -> int | None:
        size = self.page_size
        if self.total is None or size == 0:
            return None
        return then(self.total(), lambda total: max(1, -(-total // size)))


def page_info(
    cursors: list[str],
    has_next: bool,
    page_size: int,
    *,
    previous_check: Check = _no,
    items_before: Count = _unknown,
    total: Total | None = None,
) -> PageInfo:
    """Page info of a list paged forwards only (has_next is known)."""
    return PageInfo(
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
        page_size=page_size,
        previous_check=previous_check,
        next_check=lambda: has_next,
        items_before=items_before,
        total=total,
    )


def entity_page_info(
    db: Reader,
    table: str,
    key: str,
    positions: list[tuple[int, str]],
    cursors: list[str],
    has_next: bool,
    page_size: int,
    after: tuple[int, str] | None,
    total: int,
) -> PageInfo:
    """Page info of the topic and provider lists (most articles first, then by key)."""

    def previous() -> bool | Awaitable[bool]:
        if after is None:
            return False
        return then(items_before(), lambda before: before > 0)

    def items_before() -> int | Awaitable[int]:
        if positions:
            return count_entities_before(db, table, key, positions[0])
        if after is not None:
            return count_entities_before(db, table, key, after, inclusive=True)
        return 0

    return page_info(
        cursors,
        has_next,
        page_size,
        previous_check=previous,
        items_before=items_before,
        total=lambda: total,
    )
