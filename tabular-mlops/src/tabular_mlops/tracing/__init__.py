"""One row's journey through the pipeline, for debugging a single prediction (`trace`).

``rows`` picks the row (a row of a split, or a record given as JSON) and turns it into the
frame the model reads, as evaluation or the API would; ``journey`` checks it against the
schema and replays the trained pipeline's own steps on it; ``report`` prints the result.
"""
