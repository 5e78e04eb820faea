"""Russian NLP extraction: companies, organisations, regions, categories, persons and events."""

EXTRACTOR_VERSION = "1"
