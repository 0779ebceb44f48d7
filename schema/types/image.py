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
    def of(cls, url: str, width: int | None, height: int | None, is_cached: bool | None) -> Image:
        ratio = width / height if width and height else None
        return cls(
            url=url,
            width=width,
            height=height,
            is_cached=is_cached,
            aspect_ratio=round(ratio, 4) if ratio else None,
        )

    @classmethod
    def from_row(cls, row: ImageRow) -> Image:
        return cls.of(*row)


def images(rows: tuple[ImageRow, ...] | list[ImageRow]) -> list[Image]:
    return [Image.from_row(r) for r in rows]
