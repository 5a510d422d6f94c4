"""The standard checks: tests that hold for every project, run against a project's own
``params.yaml``, schema, data, model and API (collected by :mod:`.plugin`)."""
