"""A window of an article list: its arguments as a page request, and its page info.

Article connections and search connections take the same window arguments
(`first`/`after`, `last`/`before`, `offset`) and describe their page the same way;
this module is that shared part. Page info answers from what the page already
knows when it can (no awaitable, no statement) and asks SQLite only otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loaders.query.filters import ArticleFilter
from loaders.query.ordering import Ordering
from loaders.query.pages import PageRequest, Position, count_before, exists_beyond
from loaders.query.sources import AnyScope
from loaders.reader import Reader
from schema.context import Info
from schema.filters import ArticleFilterInput, to_filter
from schema.ids import decode_article_cursor
from schema.types.pagination import PageInfo, check_window, then


def page_request(
    info: Info,
    ordering: Ordering,
    signature: str,
    *,
    filter: ArticleFilterInput | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    offset: int | None,
) -> PageRequest:
    """Validated window arguments as a page request; cursors must carry `signature`."""
    window = check_window(
        info.context.limits, first, last, cursors=after is not None or before is not None,
        offset=offset,
    )  # fmt: skip
    types = ordering.value_types()
    return PageRequest(
        first=window.first,
        last=window.last,
        after=decode_article_cursor(after, signature, types) if after else None,
        before=decode_article_cursor(before, signature, types) if before else None,
        offset=window.offset,
        filter=to_filter(filter),
        ordering=ordering,
    )


@dataclass(frozen=True, slots=True)
class Window:
    """One page of a keyset list, with what page info needs to answer about it."""

    db: Reader
    scope: AnyScope
    parent: int | None
    request: PageRequest
    rows: int  # how many the page holds
    has_more: bool  # whether rows exist beyond it in the direction of paging
    first_position: Position | None  # of the page's first row
    total: Callable[[], int | Awaitable[int]]  # the whole filtered list's size

    @property
    def filter(self) -> ArticleFilter:
        return self.request.filter

    def _exists(self, position: Position, before: bool) -> Awaitable[bool]:
        return exists_beyond(
            self.db, self.scope, self.parent, self.filter, self.request.ordering, position,
            before=before,
        )  # fmt: skip

    def has_previous(self) -> bool | Awaitable[bool]:
        request = self.request
        if request.backwards and self.has_more:
            return True
        if request.offset > 0:
            return bool(self.rows) or _positive(self.total())
        if request.after is None:
            return False
        return self._exists(request.after, before=True)

    def has_next(self) -> bool | Awaitable[bool]:
        request = self.request
        if not request.backwards and self.has_more:
            return True
        if request.before is None:
            return False
        return self._exists(request.before, before=False)

    def items_before(self) -> int | Awaitable[int]:
        request = self.request
        if request.after is None and request.before is None:
            if request.backwards:
                return _minus(self.total(), self.rows)
            return request.offset
        if self.first_position is not None:
            position, inclusive = self.first_position, False
        elif request.after is not None:
            position, inclusive = request.after, True  # an empty page after the cursor's row
        else:
            return 0  # nothing before `before`
        return count_before(
            self.db, self.scope, self.parent, self.filter, request.ordering, position,
            inclusive=inclusive,
        )  # fmt: skip

    def page_info(self, cursors: list[str]) -> PageInfo:
        return PageInfo(
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
            page_size=self.request.size,
            previous_check=self.has_previous,
            next_check=self.has_next,
            items_before=self.items_before,
            total=self.total,
        )


def _positive(count: int | Awaitable[int]) -> bool | Awaitable[bool]:
    return then(count, lambda n: n > 0)


def _minus(count: int | Awaitable[int], rows: int) -> int | Awaitable[int]:
    return then(count, lambda n: max(0, n - rows))
