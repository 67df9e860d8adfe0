"""The emergency fallback: kits of open codes, the collection log, and reconciliation of statements."""
