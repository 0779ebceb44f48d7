"""Images of articles, providers and related references."""

from __future__ import annotations

import strawberry

from loaders.rows import ImageRow


@strawberry.type(description="An image, in the order the article lists them.")
class Image:
    url: str = strawberry.field(description="Absolute URL of the image.")
    width: int | None = strawberry.field(description="Width in pixels, when known.")
    height: int | None = strawberry.field(description="Height in pixels, when known.")
    is_cached: bool | None = strawberry.field(
        description="Whether the publisher reports the image as cached on its CDN."
    )
    aspect_ratio: float | None = strawberry.field(
        description="width / height, when both are known and height is not 0."
    )

    @classmethod
    def from_row(cls, row: ImageRow) -> Image:
        ratio = row.width / row.height if row.width and row.height else None
        return cls(
            url=row.url,
            width=row.width,
            height=row.height,
            is_cached=row.is_cached,
            aspect_ratio=round(ratio, 4) if ratio else None,
        )


def images(rows: tuple[ImageRow, ...] | list[ImageRow]) -> list[Image]:
    return [Image.from_row(r) for r in rows]
