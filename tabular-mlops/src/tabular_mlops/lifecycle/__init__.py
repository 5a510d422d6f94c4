"""Lifecycle: the modules every project shares."""
