"""`related` rows as RelatedRow, for the graph reads (the same shape loaders.reads builds)."""

from __future__ import annotations

from loaders.rows import ImageRow, RelatedRow, Row

RELATED_COLUMNS = (
    "article_id, position, title, excerpt, original_url, web_url, amp_url, cdn_amp_url, "
    "published_at, type, quality, provider_name, provider_domain, images, normalized_url, "
    "target_id"
)


def related_row(r: Row) -> RelatedRow:
    """A RelatedRow from values in RELATED_COLUMNS order."""
    return RelatedRow(
        article_id=r[0], position=r[1], title=r[2], excerpt=r[3], original_url=r[4],
        web_url=r[5], amp_url=r[6], cdn_amp_url=r[7], published_at=r[8], type=r[9],
        quality=r[10], provider_name=r[11], provider_domain=r[12],
        images=ImageRow.from_json(r[13]), normalized_url=r[14], target_id=r[15],
    )  # fmt: skip
