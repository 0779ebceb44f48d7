"""The corpus as a whole: its version and what the last ingest did."""

from __future__ import annotations

import strawberry

from loaders.watch import CorpusState


@strawberry.type(description="What the most recent ingest that ran did.")
class IngestSummary:
    added: int = strawberry.field(description="Articles added.")
    updated: int = strawberry.field(description="Articles whose files changed.")
    unchanged: int = strawberry.field(
        description="Files skipped because their content was the same."
    )
    removed: int = strawberry.field(description="Articles whose files disappeared.")
    rejected: int = strawberry.field(description="Files that failed validation.")
    seconds: float = strawberry.field(description="How long the run took.")


@strawberry.type(
    description="The served corpus. `version` grows with every ingest that changes it."
)
class Corpus:
    version: int = strawberry.field(
        description="Increases by one with every ingest that adds, updates or removes an "
        "article; use it to invalidate client caches."
    )
    last_ingest: IngestSummary | None = strawberry.field(
        description="The most recent ingest run (null before the first)."
    )

    @classmethod
    def from_state(cls, state: CorpusState) -> Corpus:
        s = state.last_ingest
        fields = ("added", "updated", "unchanged", "removed", "rejected", "seconds")
        summary = IngestSummary(**{f: s[f] for f in fields}) if s else None
        return cls(version=state.version, last_ingest=summary)
