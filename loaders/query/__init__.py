"""Article queries: filters, orders, sources, pages, counts and facets, built as SQL."""
