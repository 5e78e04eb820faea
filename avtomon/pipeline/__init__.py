"""Ingestion stages: config → fetch → parse → dedup → store, wired together in run."""
