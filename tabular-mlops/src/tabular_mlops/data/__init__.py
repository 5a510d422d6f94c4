"""Data: the modules every project shares."""
