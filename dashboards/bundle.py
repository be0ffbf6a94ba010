"""Import and export the dashboards-as-code bundle; runs inside Superset's own virtualenv.

Called by ``voc dashboards import|export`` (pipelines/superset.py), never directly by users.

Import is idempotent and updates in place by uuid. Superset's dashboard importer imports the
charts, datasets and database of a dashboard with ``overwrite=False`` (so a changed chart would be
skipped), hence each layer is imported on its own with ``overwrite=True``, parents first. The
database's URI is rewritten to this installation's serving file, and its locked-down connection
(read-only, DuckDB's external access off and its configuration locked: ``VOC_SERVING_DUCKDB_CONFIG``
in superset_config.py) is set again after the import (an import can reset a connection's ``extra``)
and checked. The roles in ``security/roles.yaml`` are then created or updated in place, with the
dashboards they may open, their row-level security filters and, when asked, the demo users.
``verify`` checks the lockdown of a running installation: the definition, then a real query that
must be refused.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER_URI = "duckdb:///serving.duckdb"
LAYERS = ("databases", "datasets", "charts", "dashboards")


def _lockdown() -> dict[str, Any]:
    """The DuckDB settings every serving connection must carry (one statement: superset_config.py)."""
    from flask import current_app

    return dict(current_app.config["VOC_SERVING_DUCKDB_CONFIG"])


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
            config["extra"] = _locked_down(config.get("extra"))
        contents[relative] = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    return contents


def bundle_problems(contents: dict[str, str]) -> list[str]:
    """What an import would drop or break without a word, as ``file: problem``: a chart whose
    ``dataset_uuid`` is no dataset of the bundle (Superset's importer skips it), a chart without a
    ``query_context`` (its data API, CSV export and reports then answer that nothing was saved), and a
    dashboard placing a chart the bundle does not hold."""
    configs = {name: yaml.safe_load(text) or {} for name, text in contents.items()}
    datasets = {config.get("uuid") for name, config in configs.items() if name.startswith("datasets/")}
    charts = {config.get("uuid") for name, config in configs.items() if name.startswith("charts/")}
    problems = []
    for name, config in sorted(configs.items()):
        if name.startswith("charts/"):
            if config.get("dataset_uuid") not in datasets:
                problems.append(f"{name}: dataset_uuid {config.get('dataset_uuid')} is no dataset of the bundle")
            if not config.get("query_context"):
                problems.append(f"{name}: no query_context; save the chart in Superset and run `voc dashboards export`")
        elif name.startswith("dashboards/"):
            placed = {(item.get("meta") or {}).get("uuid") for item in (config.get("position") or {}).values()
                      if isinstance(item, dict) and item.get("type") == "CHART"}
            problems += [f"{name}: places chart {uuid}, which is not in charts/" for uuid in sorted(placed - charts - {None})]
    return problems


def _locked_down(extra: Any) -> dict[str, Any]:
    """``extra`` with the connection forced read-only and DuckDB's file access off and locked."""
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra or {})
    engine = dict(extra.get("engine_params") or {})
    connect_args = dict(engine.get("connect_args") or {})
    connect_args["read_only"] = True
    connect_args["config"] = {**(connect_args.get("config") or {}), **_lockdown()}
    engine["connect_args"] = connect_args
    extra["engine_params"] = engine
    return extra


def lockdown_problems(extra: Any) -> list[str]:
    """What is missing from a database definition's lockdown; empty when it is complete."""
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra or {})
    connect_args = (extra.get("engine_params") or {}).get("connect_args") or {}
    problems = [] if connect_args.get("read_only") is True else ["read_only is not set"]
    config = connect_args.get("config") or {}
    problems += [f"{name} is {config.get(name)!r}, not {value!r}" for name, value in _lockdown().items()
                 if config.get(name) != value]
    return problems


def _app_context() -> None:
    from superset.app import create_app

    create_app().app_context().push()


def _app_user(username: str):
    _app_context()
    from superset import security_manager

    user = security_manager.find_user(username=username)
    if user is None:
        raise SystemExit(f"error: Superset user {username!r} does not exist; run `voc dashboards import`")
    return user


UNEXPORTED_EDITS_EXIT = 3  # the exit code that tells `voc` the import stopped to keep UI edits
_LAST_IMPORT = "last_import.json"  # in Superset's DATA_DIR: when the bundle was last imported


def _last_import_file() -> Path:
    from flask import current_app

    return Path(current_app.config["DATA_DIR"]) / _LAST_IMPORT


def unexported_edits(contents: dict[str, str]) -> list[str]:
    """The bundle's charts, dashboards and datasets (by uuid) that were changed in Superset after the last
    import, as ``kind 'name' (changed <time> by <user>)``: an import would overwrite them with the bundle and
    the change would be lost. Empty before the first import recorded its time."""
    from datetime import datetime

    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    marker = _last_import_file()
    if not marker.exists():
        return []
    since = datetime.fromisoformat(json.loads(marker.read_text(encoding="utf-8"))["at"])
    uuids = {yaml.safe_load(text).get("uuid") for name, text in contents.items() if not name.startswith("databases/")}
    edited = []
    for kind, model, title in (("chart", Slice, "slice_name"), ("dashboard", Dashboard, "dashboard_title"),
                               ("dataset", SqlaTable, "table_name")):
        for item in db.session.query(model).filter(model.changed_on > since).all():
            if str(item.uuid) in uuids:
                who = getattr(item.changed_by, "username", None) or "?"
                edited.append(f"{kind} {getattr(item, title)!r} (changed {item.changed_on:%Y-%m-%d %H:%M} by {who})")
    return sorted(edited)


def import_bundle(bundle: Path, serving: Path, username: str, roles_file: Path,
                  demo_passwords: dict[str, str], force: bool = False) -> None:
    user = _app_user(username)
    from datetime import datetime

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
    problems = bundle_problems(contents)
    if problems:
        raise SystemExit(f"error: {bundle} would not import whole, nothing imported: " + "; ".join(problems))
    edited = [] if force else unexported_edits(contents)
    if edited:
        print(f"changed in Superset since the last import and not exported, so not overwritten: {'; '.join(edited)}. "
              "Keep them: `voc dashboards export`, review and commit. Drop them: `voc dashboards import --force`.",
              file=sys.stderr)
        raise SystemExit(UNEXPORTED_EDITS_EXIT)
    with override_user(user):
        for command in (ImportDatabasesCommand, ImportDatasetsCommand, ImportChartsCommand, ImportDashboardsCommand):
            command(contents, overwrite=True).run()

    database_uuids = [yaml.safe_load(text)["uuid"] for name, text in contents.items() if name.startswith("databases/")]
    for uuid in database_uuids:
        database = db.session.query(Database).filter(Database.uuid == uuid).one()
        database.set_sqlalchemy_uri(f"duckdb:///{serving}")
        database.extra = json.dumps(_locked_down(database.extra))
    db.session.commit()
    for uuid in database_uuids:
        database = db.session.query(Database).filter(Database.uuid == uuid).one()
        problems = lockdown_problems(database.extra)
        if problems:
            raise SystemExit(f"error: database {database.database_name} is not locked down after import: "
                             + "; ".join(problems))
    security = sync_security(roles_file, contents, demo_passwords)
    marker = _last_import_file()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"at": datetime.now().isoformat()}), encoding="utf-8")
    counts = {layer: sum(1 for name in contents if name.startswith(layer + "/")) for layer in LAYERS}
    totals = {"databases": db.session.query(Database).count(), "datasets": db.session.query(SqlaTable).count(),
              "charts": db.session.query(Slice).count(), "dashboards": db.session.query(Dashboard).count()}
    print(json.dumps({"imported": counts, "in_superset": totals, "security": security, "serving": str(serving)},
                     ensure_ascii=False))


def _dashboard_datasets(slugs: list[str], datasets: list) -> list:
    """The datasets of ``datasets`` that the dashboards ``slugs`` read: their charts' and their native filters'.
    A role given only these (``datasets: dashboards``) gets no rows through the chart data API of a dataset its
    dashboards do not show."""
    from superset import db
    from superset.models.dashboard import Dashboard

    used: set[object] = set()  # dataset ids, and uuids as an imported filter may still name them
    for dashboard in db.session.query(Dashboard).filter(Dashboard.slug.in_(slugs)).all():
        used.update(chart.datasource_id for chart in dashboard.slices if chart.datasource_type == "table")
        metadata = json.loads(dashboard.json_metadata or "{}")
        for native_filter in metadata.get("native_filter_configuration", []):
            for target in native_filter.get("targets", []):
                used.update(str(target[key]) if key == "datasetUuid" else target[key]
                            for key in ("datasetId", "datasetUuid") if key in target)
    return [dataset for dataset in datasets if dataset.id in used or str(dataset.uuid) in used]


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _permission(security_manager: Any, permission: str, view: str) -> Any:
    found = security_manager.find_permission_view_menu(permission, view)
    if found is None:
        raise SystemExit(f"error: roles.yaml names the permission {permission}|{view}, which this Superset "
                         "does not have; check the name against Superset's role list")
    return found


def sync_security(roles_file: Path, contents: dict[str, str], demo_passwords: dict[str, str]) -> dict[str, Any]:
    """Create or update the roles of ``roles_file`` in place, the dashboards' roles, the row-level
    security filters and (for each name in ``demo_passwords``) the demo users. Returns counts."""
    from superset import db, security_manager
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.utils.core import RowLevelSecurityFilterType

    spec = yaml.safe_load(roles_file.read_text(encoding="utf-8"))
    dataset_uuids = [yaml.safe_load(text)["uuid"] for name, text in contents.items() if name.startswith("datasets/")]
    datasets = db.session.query(SqlaTable).filter(SqlaTable.uuid.in_(dataset_uuids)).all()

    roles = {}
    for name, rule in spec["roles"].items():
        granted = {}
        for base in rule.get("copy_from", []):
            base_role = security_manager.find_role(base)
            if base_role is None:
                raise SystemExit(f"error: built-in role {base!r} is missing; run `superset init`")
            for pv in base_role.permissions:
                key = f"{pv.permission.name}|{pv.view_menu.name}"
                if not _matches(key, rule.get("drop", [])):
                    granted[key] = pv
        for key in rule.get("add", []):
            granted[key] = _permission(security_manager, *key.split("|", 1))
        if rule.get("datasets") in ("bundle", "dashboards"):
            shown = datasets if rule["datasets"] == "bundle" else _dashboard_datasets(
                [slug for slug, role_names in spec.get("dashboards", {}).items() if name in role_names], datasets)
            for dataset in shown:
                granted[f"datasource_access|{dataset.perm}"] = _permission(security_manager, "datasource_access",
                                                                          dataset.perm)
        for database_name in rule.get("databases", []):
            database = db.session.query(Database).filter(Database.database_name == database_name).one()
            granted[f"database_access|{database.perm}"] = _permission(security_manager, "database_access",
                                                                      database.perm)
        role = security_manager.find_role(name) or security_manager.add_role(name)
        role.permissions = list(granted.values())
        roles[name] = role

    for slug, role_names in spec.get("dashboards", {}).items():
        dashboard = db.session.query(Dashboard).filter(Dashboard.slug == slug).one_or_none()
        if dashboard is None:
            raise SystemExit(f"error: roles.yaml gives roles to dashboard {slug!r}, which the bundle does not have")
        dashboard.roles = [roles[name] for name in role_names]

    team_datasets = [dataset for dataset in datasets if any(c.column_name == "team" for c in dataset.columns)]
    for scope in spec.get("team_scopes", []):
        role = security_manager.find_role(scope["role"]) or security_manager.add_role(scope["role"])
        role.permissions = []
        teams = ", ".join("'" + team.replace("'", "''") + "'" for team in scope["teams"])
        name = f"team scope: {scope['role']}"
        rls = db.session.query(RowLevelSecurityFilter).filter(RowLevelSecurityFilter.name == name).one_or_none()
        if rls is None:
            rls = RowLevelSecurityFilter(name=name)
            db.session.add(rls)
        rls.filter_type = RowLevelSecurityFilterType.REGULAR
        rls.description = f"{scope['role']} sees rows of agent team(s) {teams} only"
        rls.clause = f"team IN ({teams})"
        rls.group_key = "team"
        rls.tables = team_datasets
        rls.roles = [role]
        roles[scope["role"]] = role

    users = 0
    for username, role_names in (spec.get("demo_users") or {}).items():
        if username not in demo_passwords:
            continue
        user = security_manager.find_user(username=username)
        user_roles = [roles[name] for name in role_names]
        if user is None:
            security_manager.add_user(username, "VoC", username, f"{username}@voc.local", user_roles,
                                      password=demo_passwords[username])
        else:
            user.roles = user_roles
            security_manager.reset_password(user.id, demo_passwords[username])
        users += 1
    db.session.commit()
    return {"roles": len(roles), "row_level_filters": len(spec.get("team_scopes", [])), "demo_users": users}


def verify_lockdown(probe_file: Path) -> None:
    """Exit non-zero unless every database definition is locked down and a real query through
    Superset's own engine is refused a file read (the probe runs only once a snapshot exists)."""
    _app_context()
    from superset import db
    from superset.models.core import Database

    databases = db.session.query(Database).all()
    for database in databases:
        problems = lockdown_problems(database.extra)
        if problems:
            raise SystemExit(f"error: database {database.database_name} is not locked down ("
                             + "; ".join(problems) + "); run `voc dashboards import` to restore it")
        serving = Path(database.url_object.database or "")
        if not serving.exists():
            continue
        with database.get_sqla_engine() as engine, engine.connect() as connection:
            from sqlalchemy import text

            if connection.execute(text("SELECT current_setting('enable_external_access')")).scalar():
                raise SystemExit(f"error: database {database.database_name} still has external access")
            try:
                connection.execute(text(f"SELECT content FROM read_text('{probe_file}')")).fetchall()
            except Exception:  # noqa: BLE001 - any refusal is the expected outcome
                continue
            raise SystemExit(f"error: database {database.database_name} can read {probe_file}")
    print(json.dumps({"verified_databases": len(databases)}))


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


# Values that are this installation's database ids, not the dashboard's design: the bundle keeps its own.
_INSTALLATION_IDS = ("chartId",)
# Superset's record of how a database was added in its UI: not part of the design.
_BOOKKEEPING = ("configuration_method",)
# Keys of list items that name them, so an export lists metrics and columns in the bundle's order.
_ITEM_KEYS = ("metric_name", "column_name", "uuid")
_EMPTY = (None, [], {}, "", "{}", "[]")


def _aligned(new: Any, old: Any) -> Any:
    """``new`` (a YAML value as Superset exports it) written the way the bundle already writes it, so that
    ``git diff`` after an export shows what the analyst changed and nothing else: the bundle's key order
    (new keys after); an empty key is neither added (``folders: null``) nor dropped (``default_filters:
    '{}'``), and Superset's bookkeeping is not added; list items named by ``_ITEM_KEYS`` in the bundle's
    order (new ones after); and the bundle's ``chartId`` where it has one."""
    if isinstance(new, dict) and isinstance(old, dict):
        keys = [key for key in old if key in new or old[key] in _EMPTY]
        keys += [key for key in new if key not in old and new[key] not in _EMPTY and key not in _BOOKKEEPING]
        return {key: old[key] if key not in new or (key in _INSTALLATION_IDS and key in old)
                else _aligned(new[key], old.get(key)) for key in keys}
    if isinstance(new, list) and isinstance(old, list) and new and all(isinstance(item, dict) for item in new):
        name = next((key for key in _ITEM_KEYS if all(key in item for item in new)), None)
        if name is not None:
            before = {item.get(name): item for item in old if isinstance(item, dict)}
            rank = {key: position for position, key in enumerate(before)}
            ordered = sorted(new, key=lambda item: rank.get(item[name], len(rank)))  # stable: new items keep their order
            return [_aligned(item, before.get(item[name])) for item in ordered]
        if len(new) == len(old):
            return [_aligned(item, was) for item, was in zip(new, old)]
    return new


def _portable_chart(config: dict[str, Any], tables: dict[str, str]) -> dict[str, Any]:
    """A chart as the bundle keeps it: its dataset named by table (``vw_contacts__table``) instead of this
    installation's id (``3__table``), in ``params`` and in ``query_context`` (whose dataset id is 0, and whose
    JSON keeps Chinese as written, keys sorted)."""
    table = tables.get(config.get("dataset_uuid") or "")
    if table is None:
        return config
    portable = f"{table}__table"
    params = dict(config.get("params") or {})
    if "datasource" in params:
        params["datasource"] = portable
    config = {**config, "params": params}
    if config.get("query_context"):
        context = json.loads(config["query_context"])
        context["datasource"] = {**(context.get("datasource") or {}), "id": 0}
        if isinstance(context.get("form_data"), dict) and "datasource" in context["form_data"]:
            context["form_data"]["datasource"] = portable
        config["query_context"] = json.dumps(context, ensure_ascii=False, sort_keys=True)
    return config


def export_bundle(bundle: Path, username: str) -> None:
    """Write every dashboard into ``bundle``, each file aligned with the one it replaces (``_aligned``)."""
    user = _app_user(username)
    from superset import db
    from superset.commands.dashboard.export import ExportDashboardsCommand
    from superset.models.dashboard import Dashboard
    from superset.utils.core import override_user

    ids = [row.id for row in db.session.query(Dashboard.id).all()]
    with override_user(user):
        files = [(name, yaml.safe_load(content())) for name, content in ExportDashboardsCommand(ids).run()]
    texts = {path.relative_to(bundle).as_posix(): path.read_text(encoding="utf-8")
             for layer in LAYERS for path in (bundle / layer).glob("*.yaml")}
    previous = {name: yaml.safe_load(text) for name, text in texts.items()}
    kept: dict[Path, str] = {}
    tables = {config["uuid"]: config["table_name"] for name, config in files if name.startswith("datasets/")}
    for layer in LAYERS:
        shutil.rmtree(bundle / layer, ignore_errors=True)
    written = 0
    for name, config in files:
        layer = name.split("/", 1)[0]
        if name == "metadata.yaml":
            config.pop("timestamp", None)
            target = bundle / "metadata.yaml"
        elif layer in LAYERS:
            if layer == "databases":
                config["sqlalchemy_uri"] = PLACEHOLDER_URI
            elif layer == "charts":
                config = _portable_chart(config, tables)
            target = bundle / layer / _file_name(layer, config)
            before = previous.get(target.relative_to(bundle).as_posix())
            config = _aligned(config, before)
            if config == before:  # unchanged: the file keeps its text (a hand-wrapped SQL stays as written)
                kept[target] = texts[target.relative_to(bundle).as_posix()]
                continue
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        written += 1
    for target, text in kept.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(json.dumps({"exported_files": written + len(kept), "changed_or_new_files": written, "dashboards": len(ids),
                      "bundle": str(bundle)}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["import", "export", "verify"])
    parser.add_argument("--bundle", type=Path, required=True)
    parser.add_argument("--serving", type=Path, required=True)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--roles", type=Path, help="roles as code (dashboards/security/roles.yaml)")
    parser.add_argument("--probe-file", type=Path, help="a file the serving connection must not be able to read")
    parser.add_argument("--force", action="store_true", help="import over changes made in Superset since the last import")
    args = parser.parse_args(argv)
    if args.command == "import":
        # Demo users' passwords come through the environment, never the command line (ps shows it).
        passwords = json.loads(os.environ.get("VOC_DEMO_USER_PASSWORDS") or "{}")
        import_bundle(args.bundle, args.serving, args.username, args.roles, passwords, force=args.force)
    elif args.command == "verify":
        verify_lockdown(args.probe_file)
    else:
        export_bundle(args.bundle, args.username)
    return 0


if __name__ == "__main__":
    sys.exit(main())
