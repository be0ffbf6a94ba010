"""Superset configuration for VoC, loaded through ``SUPERSET_CONFIG_PATH`` (set by ``voc``).

Everything comes from environment variables with defaults under ``VOC_DATA_DIR``, so the repo holds
no secret: ``voc`` generates ``SUPERSET_SECRET_KEY`` once into ``$VOC_DATA_DIR/superset/secrets.json``
(git-ignored) and passes it in. Nothing here may reach outside the machine.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_DATA_DIR = Path(os.environ.get("VOC_DATA_DIR", Path(__file__).resolve().parent.parent / "data")).resolve()
_STATE_DIR = _DATA_DIR / "superset"

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY") or ""
if not SECRET_KEY:
    raise RuntimeError("SUPERSET_SECRET_KEY is not set: start Superset through `voc serve`, which generates it")

SQLALCHEMY_DATABASE_URI = os.environ.get("VOC_SUPERSET_DATABASE_URI") or f"sqlite:///{_STATE_DIR / 'superset.db'}"
DATA_DIR = str(_STATE_DIR)
UPLOAD_FOLDER = str(_STATE_DIR / "uploads")

APP_NAME = "VoC 客户之声"

# Chinese by default; 6.1 ships LANGUAGES = {} and crashes with a default locale it does not list.
BABEL_DEFAULT_LOCALE = os.environ.get("VOC_SUPERSET_LOCALE", "zh")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "us", "name": "English"},
}
CURRENCIES = ["CNY"]
D3_FORMAT = {
    "decimal": ".",
    "thousands": ",",
    "grouping": [3],
    "currency": ["¥", ""],
}

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    "DRILL_TO_DETAIL": True,
    "DRILL_BY": True,
    "ENABLE_TEMPLATE_PROCESSING": True,
    # Dashboards are a page or two: render every chart at once (also what the browser test waits for).
    "DASHBOARD_VIRTUALIZATION": False,
    # Dashboards carry the roles that may open them (dashboards/security/roles.yaml), so a service
    # manager sees 运营 and 客户之声 only.
    "DASHBOARD_RBAC": True,
}

# Dashboards read a snapshot that the nightly run replaces whole, so results are never stale
# beyond a publish; no result cache keeps yesterday's numbers after a publish.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

ROW_LIMIT = 50_000
SUPERSET_WEBSERVER_TIMEOUT = 120
SQLLAB_TIMEOUT = 120

# No telemetry and nothing loaded from outside: the page may only talk to this server.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
TALISMAN_DEV_CONFIG = TALISMAN_CONFIG
CONTENT_SECURITY_POLICY_WARNING = False
THEME_FONT_URL_ALLOWED_DOMAINS: list[str] = []
MAPBOX_API_KEY = ""


# The serving snapshot is opened with DuckDB's file system switched off and its configuration
# locked, so SQL (SQL Lab, a virtual dataset, a chart) can read the snapshot's tables and nothing
# else: no read_csv/read_text/read_parquet/glob of a path, no COPY ... TO, no ATTACH, no INSTALL or
# LOAD of an extension, and no SET that turns any of it back on. `voc dashboards import` writes
# this into the database definition and checks it; the mutator below enforces it on every connection
# whatever the definition says. Source: DuckDB's "Securing DuckDB" guide (enable_external_access,
# lock_configuration).
VOC_SERVING_DUCKDB_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,
}

# A clearer refusal, before DuckDB's own, for the table functions that read files.
DISALLOWED_SQL_FUNCTIONS: dict[str, set[str]] = {
    "duckdb": {
        "read_csv", "read_csv_auto", "read_text", "read_blob", "read_parquet", "parquet_scan",
        "parquet_metadata", "parquet_schema", "read_json", "read_json_auto", "read_ndjson",
        "read_json_objects", "read_ndjson_objects", "read_xlsx", "glob", "sniff_csv",
        # query('SELECT … read_blob(…)') names a function inside a string, out of this list's sight; and the
        # settings and catalogue functions show the server's paths.
        "query", "query_table", "current_setting", "duckdb_settings", "duckdb_databases", "pragma_database_list",
    },
}


_SERVING_LINK = _DATA_DIR / "serving.duckdb"  # pipelines.publish.serving_path: a link to the current snapshot


class VocConnectionRefused(Exception):
    """A database connection other than the serving snapshot: the one database dashboards and SQL may reach."""


def _serving_files() -> set[str]:
    """The snapshot the link points at and the earlier snapshots beside it (a query may still read one)."""
    folder = _DATA_DIR / "serving"
    found = {os.path.realpath(_SERVING_LINK)}
    if folder.is_dir():  # serving/<time>/serving.duckdb (pipelines.publish), and the older serving-<time>.duckdb
        found.update(os.path.realpath(path) for path in [*folder.glob("*/serving.duckdb"), *folder.glob("*.duckdb")])
    return found


def DB_CONNECTION_MUTATOR(url: Any, params: dict, username: Any, security_manager: Any, source: Any):  # noqa: N802
    """Open the serving snapshot the ``serving.duckdb`` link points at *now*, locked down.

    The nightly publish writes a new file and swaps the link atomically. DuckDB reuses a database
    already open in this process under the same path, so opening the link's target (a new path per
    publish) is what lets the next query see new numbers while an old query still reads the old file.
    Query-string options are dropped (duckdb_engine would pass them on as DuckDB settings, a way to
    turn external access back on) and the read-only, locked configuration is forced.
    """
    if not url.drivername.startswith("duckdb"):
        # Superset's own blocklist (PREVENT_UNSAFE_DB_CONNECTIONS) names sqlite and two shillelagh dialects
        # only; shillelagh+sqlglot:// reads and deletes CSV files. VoC serves one database.
        raise VocConnectionRefused(f"this Superset serves VoC's snapshot only; a {url.drivername} connection "
                                   "is refused (dashboards/superset_config.py)")
    if os.path.realpath(url.database or "") not in _serving_files():
        # Another DuckDB file (the warehouse, with its quarantine) is data dashboards must not reach.
        raise VocConnectionRefused(f"this Superset serves VoC's snapshot only ({_SERVING_LINK}); "
                                   f"{url.database or 'an in-memory database'} is refused")
    url = url.set(database=os.path.realpath(url.database))
    url = url.set(query={})
    connect_args = dict(params.get("connect_args") or {})
    connect_args["read_only"] = True
    connect_args["config"] = {**(connect_args.get("config") or {}), **VOC_SERVING_DUCKDB_CONFIG}
    params["connect_args"] = connect_args
    return url, params


# Sign-in attempts are limited: Flask-AppBuilder's AUTH_RATE_LIMIT, applied below to the login form and
# the REST API's /api/v1/security/login, counted by Flask-Limiter per client address *and* user name, so a
# guesser is slowed on one account while colleagues behind the same office proxy still sign in, and
# nobody can lock another person out from elsewhere. Superset ships the limiter off unless
# SUPERSET_ENV=production, and at 5 per second. One gunicorn worker (`voc serve`) keeps the counts in
# memory; with more workers, point RATELIMIT_STORAGE_URI at Redis.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_APPLICATION = ""  # no limit on ordinary requests: a dashboard fires a few dozen at once
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = "10 per minute; 50 per hour"


def _sign_in_key() -> str:
    """Flask-Limiter's key: the client address plus the user name a sign-in POST names (form or JSON)."""
    from flask import request

    body = request.get_json(silent=True) if request.is_json else request.form
    name = body.get("username") if isinstance(body, dict) or hasattr(body, "getlist") else None
    return f"{request.remote_addr or ''}|{str(name or '').strip().lower()}"


RATELIMIT_KEY_FUNC = _sign_in_key


def FLASK_APP_MUTATOR(app: Any) -> None:  # noqa: N802
    """Put the sign-in limit on the views that take a password: the REST API's login, and the form's.

    Superset 6.1 limits its own ``SupersetAuthView``, which only serves the page (GET); the form posts to
    Flask-AppBuilder's ``AuthDBView`` (``sm.auth_view`` once registered), which it leaves unlimited.
    """
    from flask_appbuilder.security.api import SecurityApi

    security = app.appbuilder.sm
    views = [view for view in app.appbuilder.baseviews if isinstance(view, SecurityApi)] + [security.auth_view]
    for view in views:
        if getattr(view, "blueprint", None) is not None:
            security.limiter.limit(AUTH_RATE_LIMIT, methods=["POST"])(view.blueprint)
