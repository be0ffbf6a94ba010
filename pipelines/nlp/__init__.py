"""Scoring raw documents with the `sentiment` library into the `nlp` schema, one partition at a time."""
