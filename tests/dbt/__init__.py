"""dbt project tests. ``BUILD_STAMPS``: the columns that say when a row was last written
(``_built_at``) or re-sequenced (``_sequenced_at``); an incremental and a full build differ in them by
design and must agree on every other column."""

BUILD_STAMPS = frozenset({"_built_at", "_sequenced_at"})
