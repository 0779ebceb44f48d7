"""Where the embedded default corpus (`seeds/`) lives."""

from __future__ import annotations

from pathlib import Path

import loaders


def seeds_dir() -> Path:
    """`seeds/` of the source checkout, or the copy packed into an installed wheel."""
    package = Path(loaders.__file__).resolve().parent
    for candidate in (package.parent / "seeds", package / "_seeds"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the seeds/ folder is missing from this installation")
