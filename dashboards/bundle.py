"""Import and export the dashboards-as-code bundle; runs inside Superset's own virtualenv.

Called by ``voc dashboards import|export`` (pipelines/superset.py), never directly by users.

Import is idempotent and updates in place by uuid. Superset's dashboard importer imports the
charts, datasets and database of a dashboard with ``overwrite=False`` (so a changed chart would be
skipped), hence each layer is imported on its own with ``overwrite=True``, parents first. The
database's URI is rewritten to this installation's serving file, and its read-only flag is set
again after the import (an import can reset a connection's ``extra``) and checked.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER_URI = "duckdb:///serving.duckdb"
READ_ONLY_EXTRA = {"engine_params": {"connect_args": {"read_only": True}}}
LAYERS = ("databases", "datasets", "charts", "dashboards")


def read_bundle(bundle: Path, serving: Path) -> dict[str, str]:
    """The bundle as Superset's importers want it: relative path -> YAML text."""
    if not (bundle / "metadata.yaml").exists():
        raise SystemExit(f"error: {bundle} holds no metadata.yaml; is it a Superset export bundle?")
    contents: dict[str, str] = {}
    for path in sorted(bundle.rglob("*.yaml")):
        relative = path.relative_to(bundle).as_posix()
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        if relative == "metadata.yaml":
            config.pop("type", None)  # one bundle feeds every layer's importer
        elif relative.startswith("databases/"):
            config["sqlalchemy_uri"] = f"duckdb:///{serving}"
            config["extra"] = _with_read_only(config.get("extra"))
        contents[relative] = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    return contents


def _with_read_only(extra: Any) -> dict[str, Any]:
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra or {})
    engine = dict(extra.get("engine_params") or {})
    engine["connect_args"] = {**(engine.get("connect_args") or {}), "read_only": True}
    extra["engine_params"] = engine
    return extra


def _app_user(username: str):
    from superset.app import create_app

    app = create_app()
    context = app.app_context()
    context.push()
    from superset import security_manager

    user = security_manager.find_user(username=username)
    if user is None:
        raise SystemExit(f"error: Superset user {username!r} does not exist; run `voc dashboards import`")
    return user


def import_bundle(bundle: Path, serving: Path, username: str) -> None:
    user = _app_user(username)
    from superset import db
    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
    from superset.commands.database.importers.v1 import ImportDatabasesCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice
    from superset.connectors.sqla.models import SqlaTable
    from superset.utils.core import override_user

    contents = read_bundle(bundle, serving)
    with override_user(user):
        for command in (ImportDatabasesCommand, ImportDatasetsCommand, ImportChartsCommand, ImportDashboardsCommand):
            command(contents, overwrite=True).run()

    database_uuids = [yaml.safe_load(text)["uuid"] for name, text in contents.items() if name.startswith("databases/")]
    for uuid in database_uuids:
        database = db.session.query(Database).filter(Database.uuid == uuid).one()
        database.set_sqlalchemy_uri(f"duckdb:///{serving}")
        database.extra = json.dumps(_with_read_only(database.extra))
    db.session.commit()
    for uuid in database_uuids:
        database = db.session.query(Database).filter(Database.uuid == uuid).one()
        connect_args = json.loads(database.extra)["engine_params"]["connect_args"]
        if connect_args.get("read_only") is not True:
            raise SystemExit(f"error: database {database.database_name} lost its read-only flag after import")
    counts = {layer: sum(1 for name in contents if name.startswith(layer + "/")) for layer in LAYERS}
    totals = {"databases": db.session.query(Database).count(), "datasets": db.session.query(SqlaTable).count(),
              "charts": db.session.query(Slice).count(), "dashboards": db.session.query(Dashboard).count()}
    print(json.dumps({"imported": counts, "in_superset": totals, "serving": str(serving)}, ensure_ascii=False))


def _file_name(layer: str, config: dict[str, Any]) -> str:
    """Stable, readable file names (Superset's own embed database ids and drop Chinese)."""
    if layer == "dashboards":
        key = config.get("slug") or config["uuid"]
    elif layer == "datasets":
        key = config["table_name"]
    elif layer == "databases":
        key = config["database_name"]
    else:
        key = f"{config.get('params', {}).get('voc_key') or config['uuid']}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", key) + ".yaml"


def export_bundle(bundle: Path, username: str) -> None:
    user = _app_user(username)
    from superset import db
    from superset.commands.dashboard.export import ExportDashboardsCommand
    from superset.models.dashboard import Dashboard
    from superset.utils.core import override_user

    ids = [row.id for row in db.session.query(Dashboard.id).all()]
    with override_user(user):
        files = [(name, content()) for name, content in ExportDashboardsCommand(ids).run()]
    for layer in LAYERS:
        shutil.rmtree(bundle / layer, ignore_errors=True)
    written = 0
    for name, text in files:
        config = yaml.safe_load(text)
        layer = name.split("/", 1)[0]
        if name == "metadata.yaml":
            config.pop("timestamp", None)
            target = bundle / "metadata.yaml"
        elif layer in LAYERS:
            if layer == "databases":
                config["sqlalchemy_uri"] = PLACEHOLDER_URI
            target = bundle / layer / _file_name(layer, config)
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        written += 1
    print(json.dumps({"exported_files": written, "dashboards": len(ids), "bundle": str(bundle)}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["import", "export"])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--serving", type=Path, required=True)
    parser.add_argument("--username", default="admin")
    args = parser.parse_args(argv)
    if args.command == "import":
        import_bundle(args.bundle, args.serving, args.username)
    else:
        export_bundle(args.bundle, args.username)
    return 0


if __name__ == "__main__":
    sys.exit(main())
