"""A small hand-made corpus of related links, written by tests that walk the graph.

chain:     c1 -> c2 -> c3 -> c4 -> c5
triangle:  t1 -> t2 -> t3 -> t1
self:      s1 -> s1, s1 -> outside.example.net/lonely
hub:       h1..h6 -> h0
outside:   o1, o2, o3 -> outside.example.org/report (written three ways);
           o1 -> a reference with no URL at all
"""

from __future__ import annotations

from pathlib import Path

REPORT = "https://outside.example.org/report"
REPORT_VARIANTS = (REPORT, "http://OUTSIDE.example.org/report/", REPORT + "?utm_source=feed")


def url_of(slug: str) -> str:
    return f"https://graph.example.com/{slug}"


def _article(slug: str, day: int, related: list[tuple[str, str | None]], topics: str) -> str:
    refs = "".join(
        f'  - title: "{title}"\n' + (f'    webUrl: "{url}"\n' if url else "")
        for title, url in related
    )
    return (
        f'---\ntitle: "Graph article {slug}"\npublishedDateTime: 2021-03-{day:02d}T10:00:00Z\n'
        f'webUrl: "{url_of(slug)}"\ntopics: [{topics}]\n'
        "provider: {name: Graph News, domain: graph.example.com}\n"
        + (f"related:\n{refs}" if refs else "")
        + "---\nBody.\n"
    )


def articles() -> dict[str, str]:
    """File name -> content."""
    files: dict[str, str] = {}
    chain = ["c1", "c2", "c3", "c4", "c5"]
    for i, slug in enumerate(chain):
        nxt = [(f"To {chain[i + 1]}", url_of(chain[i + 1]))] if i + 1 < len(chain) else []
        files[f"{slug}.md"] = _article(slug, i + 1, nxt, "Chains")
    for a, b in (("t1", "t2"), ("t2", "t3"), ("t3", "t1")):
        files[f"{a}.md"] = _article(a, 10, [(f"To {b}", url_of(b))], "Triangles")
    files["s1.md"] = _article(
        "s1", 12, [("Myself", url_of("s1")), ("Lonely", "https://outside.example.net/lonely")],
        "Selves",
    )  # fmt: skip
    files["h0.md"] = _article("h0", 14, [], "Hubs")
    for i in range(1, 7):
        files[f"h{i}.md"] = _article(f"h{i}", 14 + i, [("The hub", url_of("h0"))], "Hubs")
    for i, url in enumerate(REPORT_VARIANTS, start=1):
        related: list[tuple[str, str | None]] = [(f"The report ({i})", url)]
        if i == 1:
            related.append(("A reference with no URL", None))
        files[f"o{i}.md"] = _article(f"o{i}", 20 + i, related, "Reports")
    return files


def write(folder: Path, names: list[str] | None = None) -> Path:
    """Write the corpus (or only `names`) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles().items():
        if names is None or name in names:
            (folder / name).write_text(text)
    return folder
