"""Small shared UI helpers: text, formats, cached reads, the filter bar, charts."""
