"""Features check: the modules every project shares."""
