"""The model after training: its registry versions, stages, rollback and delivery metrics."""
