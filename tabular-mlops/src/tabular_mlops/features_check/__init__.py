"""Checks of the model's features (ML Test Score data-2 and data-3).

``importance`` asks whether each feature earns its place (data-2), ``cost`` what each one
costs at prediction time (data-3), ``report`` writes both for the ``feature-report``
command. The package is apart from ``features/`` on purpose: ``dvc.yaml`` retrains when
``features/`` changes, and changing a check must not retrain the model.
"""
