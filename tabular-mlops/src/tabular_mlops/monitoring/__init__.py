"""Monitoring: the modules every project shares."""
