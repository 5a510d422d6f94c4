"""The prediction service: a FastAPI app over the trained model (see docs/deployment.md)."""
