"""Feature code shared by training and serving: one code path for both."""
