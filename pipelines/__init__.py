"""VoC operational code: settings, CLI, demo generator, ingestion and the Dagster code location."""
