"""The limits every request runs under, in one place so a server can configure them.

Resolvers read them from `info.context.limits`; the schema extensions that check a
document before it runs read the same object. Defaults are safe for a public API.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Limits:
    max_page_size: int = 100
    max_depth: int = 12
    max_aliases: int = 50
    max_cost: int = 50_000
    max_offset: int = 10_000


DEFAULT_LIMITS = Limits()
