"""Modeling: the modules every project shares."""
