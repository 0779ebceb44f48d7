"""Full-text search: the query language, ranking, top lists of frequent words, highlights.

Kept import-light on purpose: `loaders.query.sources` imports `loaders.search.weights`.
"""
