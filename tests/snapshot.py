"""A comparable picture of a stored corpus, for tests that compare two databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def snapshot(db_path: Path) -> dict[str, Any]:
    """Everything observable about the stored corpus, keyed by identity (not row ids)."""
    conn = sqlite3.connect(db_path)
    try:
        articles = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT a.path, a.slug, c.title, c.published_at, a.content_hash, p.domain, p.name "
                "FROM articles a JOIN article_content c ON c.id = a.id "
                "LEFT JOIN providers p ON p.id = a.provider_id"
            )
        }
        related = sorted(
            conn.execute(
                "SELECT a.path, r.position, t.path FROM related r "
                "JOIN articles a ON a.id = r.article_id LEFT JOIN articles t ON t.id = r.target_id"
            )
        )
        topics = sorted(conn.execute("SELECT slug, name, article_count FROM topics"))
        providers = sorted(conn.execute("SELECT domain, name, article_count FROM providers"))
        return {"articles": articles, "related": related, "topics": topics,
                "providers": providers}  # fmt: skip
    finally:
        conn.close()
