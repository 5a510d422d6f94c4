"""Serving: the modules every project shares."""
