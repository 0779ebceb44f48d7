"""Relay page info and the checks every connection applies to its arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from schema.errors import PageSizeError
from schema.limits import DEFAULT_LIMITS, DEFAULT_PAGE_SIZE, Limits

MAX_PAGE_SIZE = DEFAULT_LIMITS.max_page_size  # the default; servers may configure another

FIRST_DESCRIPTION = (
    f"How many items to return, 0 to {MAX_PAGE_SIZE} (null means {DEFAULT_PAGE_SIZE})."
)
AFTER_DESCRIPTION = "Return items after this cursor (an `endCursor` or edge `cursor`)."

First = Annotated[int | None, strawberry.argument(description=FIRST_DESCRIPTION)]
After = Annotated[str | None, strawberry.argument(description=AFTER_DESCRIPTION)]


def check_first(first: int | None, limits: Limits) -> int:
    """`first` as given, or the default when null; an error outside 0..max_page_size."""
    max_page_size = limits.max_page_size
    if first is None:
        return min(DEFAULT_PAGE_SIZE, max_page_size)
    if first < 0 or first > max_page_size:
        raise PageSizeError(
            f"`first` must be between 0 and {max_page_size}, got {first}; "
            "page through larger sets with `after`"
        )
    return first


async def _no_previous() -> bool:
    return False


@strawberry.type(description="Where a page sits in its list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first item of this page; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass it as `after` for the next page."
    )
    previous_check: strawberry.Private[Callable[[], Awaitable[bool]]] = _no_previous

    @strawberry.field(
        description="Whether items precede this page (true when `after` skipped some)."
    )
    async def has_previous_page(self) -> bool:
        return await self.previous_check()


def page_info(
    cursors: list[str],
    has_next: bool,
    previous_check: Callable[[], Awaitable[bool]] = _no_previous,
) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
        previous_check=previous_check,
    )


def after_given(after: str | None) -> Callable[[], Awaitable[bool]]:
    """hasPreviousPage for short lists: any valid `after` cursor skipped an item."""

    async def check() -> bool:
        return after is not None

    return check
