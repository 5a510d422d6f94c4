"""Monitoring: compare the traffic the API recorded with what the model was trained on.

``monitor.run_monitor`` reads a window of prediction records (records.py) and runs each check
against the training reference that ``train`` wrote beside the model (reference.py): input and
prediction drift, data invariants, numerical stability, staleness, serving performance,
prediction quality once labels arrive, and the serving environment's dependencies. The
``monitor`` command prints the outcome, writes one HTML report (report.py) and exits 10 when
retraining is needed.
"""
