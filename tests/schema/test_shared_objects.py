"""Provider and topic objects (and image rows decoded from JSON) are shared between
articles and requests, keyed by the whole row or text they were made from, so new content
always makes a new object."""

from __future__ import annotations

from loaders.rows import ImageRow, ProviderRow, TopicRow
from schema.types.article import provider_of, topics_of


def test_equal_rows_share_one_object() -> None:
    row = ProviderRow(3, "example.com", "Example", (ImageRow("https://e/l.png", 1, 1, None),), 9)
    same = ProviderRow(3, "example.com", "Example", (ImageRow("https://e/l.png", 1, 1, None),), 9)
    assert provider_of(row) is provider_of(same)
    topic = TopicRow(5, "ai", "AI", 12)
    assert topics_of([topic])[0] is topics_of([TopicRow(5, "ai", "AI", 12)])[0]


def test_a_changed_row_makes_a_new_object() -> None:
    before = provider_of(ProviderRow(3, "example.com", "Example", (), 9))
    renamed = provider_of(ProviderRow(3, "example.com", "Example News", (), 9))
    recounted = topics_of([TopicRow(5, "ai", "AI", 13)])[0]
    assert before is not None and renamed is not None
    assert (before.name, renamed.name) == ("Example", "Example News")
    assert renamed.id == before.id  # the same provider, as its global ID says
    assert recounted.article_count == 13
    assert provider_of(None) is None


def test_image_rows_decoded_from_the_same_text_are_shared() -> None:
    logo = '[{"url": "https://e/l.png", "width": 4, "height": 2}]'
    assert ImageRow.from_json(logo) is ImageRow.from_json(logo)
    assert ImageRow.from_json(logo) == (ImageRow("https://e/l.png", 4, 2, None),)
    wider = ImageRow.from_json(logo.replace('"width": 4', '"width": 8'))
    assert wider[0].width == 8
    assert ImageRow.from_json("[]") == ()
