"""Features: derived-feature registry, calendar parts and the preprocessing pipeline."""
