"""How search ranks: SQLite FTS5's bm25 with per-column weights.

bm25 scores an article for a query as the sum, over the query's phrases, of

    idf * f * (k1 + 1) / (f + k1 * (1 - b + b * D / avgdl))

with k1 = 1.2 and b = 0.75 (FTS5's constants), `f` the phrase's occurrences in the
article each counted with its column's weight, `D` the article's length in tokens (all
columns) and `avgdl` the corpus average. idf = ln((N - n + 0.5) / (n + 0.5)) for `n` of
`N` articles containing the phrase (1e-6 when that is not positive, i.e. for phrases in
more than half the articles). Relevance is bm25 negated: higher is better.

The weights make a word in the title count as much as ten in the body: titles are what
an article is about, topics are an editor's labels, excerpts summarize, bodies mention.
Weights are integers so that `f` is an integer (the top lists rely on it).
"""

from __future__ import annotations

FTS_TABLE = "article_fts"
# (column, weight) in the order of the FTS table's columns (see loaders/db.py).
COLUMNS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("excerpt", 4),
    ("body", 1),
    ("topic_names", 5),
    ("provider_name", 2),
)
WEIGHTS = {name: weight for name, weight in COLUMNS}
K1 = 1.2
B = 0.75
MIN_IDF = 1e-6

# bm25 as SQL, negated so that larger is more relevant. Only valid in a statement whose
# FROM names the FTS table and whose WHERE has `article_fts MATCH ?`.
RELEVANCE_SQL = f"-bm25({FTS_TABLE}, {', '.join(f'{w}.0' for _, w in COLUMNS)})"

# The tokenizer of the FTS table (loaders/db.py spells out the same text): runs of
# letters, digits and combining marks; case folded; diacritics removed.
TOKENIZER = "\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\""
