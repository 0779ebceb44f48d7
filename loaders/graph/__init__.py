"""The related-article graph: walks, similar articles, references outside the corpus."""
