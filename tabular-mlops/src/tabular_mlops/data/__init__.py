"""Data: ingest, schema inference, validation and splitting."""
