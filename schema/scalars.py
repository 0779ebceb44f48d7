"""Custom scalars: the Python types resolvers use, and their GraphQL definitions.

`SCALARS` goes into the schema's config (StrawberryConfig.scalar_map).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from schema.errors import PublicError

# Outputs are the stored UTC text; inputs arrive parsed to aware datetimes.
DateTime = NewType("DateTime", str)


def parse_moment(value: object) -> datetime:
    """ISO-8601 text → an aware UTC datetime; a client error saying why not."""
    if not isinstance(value, str):
        raise PublicError(f"expected ISO-8601 text, got {type(value).__name__}")
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PublicError(
            f"'{text[:40]}' is not an ISO-8601 date or date-time "
            "(e.g. 2021-02-16 or 2021-02-16T03:47:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


SCALARS: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description=(
            "A moment as ISO-8601 text. Outputs are UTC with a `Z` (`2021-02-16T03:47:00Z`). "
            "Inputs may be a date-time with an offset, a date-time without one (read as "
            "UTC), or a date (midnight UTC)."
        ),
        serialize=str,
        parse_value=parse_moment,
    )
}
