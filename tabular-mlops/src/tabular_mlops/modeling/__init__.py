"""Modeling: baseline and candidate estimators, training, evaluation, the gate, the registry."""
