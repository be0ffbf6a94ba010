"""Building the project's own sentiment models from what registry packages ship."""
