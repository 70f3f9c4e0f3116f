"""Audit: per-example quality signals, dataset-level figures, the cleaner."""
