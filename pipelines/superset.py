"""Drive Superset, which lives in its own virtualenv, from the ``voc`` CLI.

Superset's pins clash with the Dagster/dbt stack, so nothing here imports it: commands run
``$VOC_SUPERSET_VENV/bin/...`` with ``SUPERSET_CONFIG_PATH`` pointing at ``dashboards/superset_config.py``.
Secrets are never in the repo: the session key and admin password come from the environment or
are generated once into ``$VOC_DATA_DIR/superset/secrets.json`` (the data dir is git-ignored).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.publish import serving_path
from pipelines.services import Service
from pipelines.settings import REPO_ROOT, Settings

DASHBOARDS_DIR = REPO_ROOT / "dashboards"
BUNDLE_DIR = DASHBOARDS_DIR / "bundle"
ROLES_FILE = DASHBOARDS_DIR / "security" / "roles.yaml"


class SupersetError(RuntimeError):
    """A Superset command failed; the message says which and where its output is."""


@dataclass(frozen=True)
class Login:
    username: str
    password: str


def state_dir(settings: Settings) -> Path:
    folder = settings.data_dir / "superset"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def secrets_path(settings: Settings) -> Path:
    """Where the generated session key and passwords are kept (mode 0600)."""
    return state_dir(settings) / "secrets.json"


def _write_secrets(path: Path, values: dict) -> None:
    """Replace the secrets file atomically, readable by its owner only (mode 0600)."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(values, handle)
    os.replace(temporary, path)


def _secrets(settings: Settings) -> dict:
    """Read the generated secrets, generating any that is missing (the first time, or after an
    operator deleted ``secret_key`` to rotate it)."""
    path = secrets_path(settings)
    values = json.loads(path.read_text()) if path.exists() else {}
    missing = {"secret_key": lambda: secrets.token_urlsafe(42), "admin_password": lambda: secrets.token_urlsafe(12)}
    missing = {name: make() for name, make in missing.items() if name not in values}
    if missing:
        values.update(missing)
        _write_secrets(path, values)
    return values


def demo_logins(settings: Settings) -> tuple[list[Login], bool]:
    """The demo users of ``dashboards/security/roles.yaml`` with their passwords, generated into the
    secrets file the first time; the flag says whether they were generated just now."""
    values = _secrets(settings)
    names = list((yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8")).get("demo_users") or {}))
    stored = values.setdefault("demo_users", {})
    created = [name for name in names if name not in stored]
    for name in created:
        stored[name] = secrets.token_urlsafe(12)
    if created:
        _write_secrets(secrets_path(settings), values)
    return [Login(name, stored[name]) for name in names], bool(created)


def login(settings: Settings) -> Login:
    password = os.environ.get("VOC_SUPERSET_ADMIN_PASSWORD") or _secrets(settings)["admin_password"]
    return Login(settings.superset_admin_user, password)


def superset_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SUPERSET_CONFIG_PATH": str(DASHBOARDS_DIR / "superset_config.py"),
        "SUPERSET_SECRET_KEY": os.environ.get("SUPERSET_SECRET_KEY") or _secrets(settings)["secret_key"],
        "VOC_DATA_DIR": str(settings.data_dir),
        "FLASK_APP": "superset.app:create_app()",
        "SUPERSET_LOAD_EXAMPLES": "no",
    })
    return env


def _bin(name: str, settings: Settings) -> Path:
    path = settings.superset_venv / "bin" / name
    if not path.exists():
        raise SupersetError(f"Superset is not installed ({path} is missing): run `make install` first")
    return path


def _run(args: list[str], settings: Settings, what: str, check: bool = True,
         env: dict[str, str] | None = None, answers: str | None = None,
         expected: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    """Run a Superset command, its output appended to ``logs/superset-setup.log`` (readable by its owner only);
    with ``check``, SupersetError on an exit code not in ``expected``.
    ``answers`` go to the command's prompts on standard input, in a new session without a terminal so a
    password prompt reads them there: a secret never stands on the command line (``ps``) or in the log."""
    result = subprocess.run(args, cwd=REPO_ROOT, env={**superset_env(settings), **(env or {})},
                            capture_output=True, text=True, input=answers, start_new_session=answers is not None)
    log = settings.data_dir / "logs" / "superset-setup.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as handle:
        os.chmod(log, 0o600)  # one written by an earlier version was world-readable
        handle.write(f"$ {' '.join(args)}\n{result.stdout}\n{result.stderr}\n")
    if check and result.returncode not in expected:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise SupersetError(f"{what} failed (exit {result.returncode}); full output in {log}\n{tail}")
    return result


def init_metadata(settings: Settings) -> None:
    """Create or upgrade Superset's metadata database, its roles and the admin user (idempotent)."""
    superset = str(_bin("superset", settings))
    _run([superset, "db", "upgrade"], settings, "superset db upgrade")
    who = login(settings)
    typed_twice = f"{who.password}\n{who.password}\n"  # the prompt, then its confirmation
    created = _run([superset, "fab", "create-admin", "--username", who.username,
                    "--firstname", "VoC", "--lastname", "Admin", "--email", f"{who.username}@voc.local"],
                   settings, "creating the Superset admin", check=False, answers=typed_twice)
    if created.returncode != 0 or "already exist" in (created.stdout + created.stderr):
        _run([superset, "fab", "reset-password", "--username", who.username],
             settings, "setting the Superset admin password", answers=typed_twice)
    _run([superset, "init"], settings, "superset init")


def _bundle_tool(command: str, settings: Settings, bundle: Path = BUNDLE_DIR, extra: list[str] = (),
                 env: dict[str, str] | None = None) -> str:
    return _run(_bundle_command(command, settings, bundle, extra), settings, f"dashboards {command}", env=env).stdout


def _bundle_command(command: str, settings: Settings, bundle: Path = BUNDLE_DIR, extra: list[str] = ()) -> list[str]:
    """``dashboards/bundle.py`` run by Superset's Python for this installation."""
    return [str(_bin("python", settings)), str(DASHBOARDS_DIR / "bundle.py"), command, "--bundle", str(bundle),
            "--serving", str(serving_path(settings)), "--username", settings.superset_admin_user, *extra]


UNEXPORTED_EDITS_EXIT = 3  # = dashboards/bundle.py's UNEXPORTED_EDITS_EXIT (that file runs in Superset's venv)


class UnexportedEdits(SupersetError):
    """Charts, dashboards or datasets were changed in Superset after the last import and not exported: the
    import stopped rather than overwrite them (the message names them and both ways on)."""


def import_dashboards(settings: Settings, demo_users: bool = False, force: bool = False) -> str:
    """Import (create or update in place, by uuid) everything in ``dashboards/bundle``, the roles of
    ``dashboards/security/roles.yaml`` and, with ``demo_users``, one demo user per role. The demo
    passwords are printed the first time they are generated only. Raises ``UnexportedEdits``, importing
    nothing, when objects of the bundle were changed in Superset since the last import, unless ``force``."""
    init_metadata(settings)
    passwords: dict[str, str] = {}
    message = ""
    if demo_users:
        logins, created = demo_logins(settings)
        passwords = {who.username: who.password for who in logins}
        message = ("\n".join(["Demo users (shown once; kept in " + str(secrets_path(settings)) + "):"]
                             + [f"  {who.username} / {who.password}" for who in logins]) if created
                   else f"Demo users {', '.join(passwords)}: passwords in {secrets_path(settings)}")
    command = _bundle_command("import", settings, extra=["--roles", str(ROLES_FILE), *(["--force"] if force else [])])
    result = _run(command, settings, "dashboards import", env={"VOC_DEMO_USER_PASSWORDS": json.dumps(passwords)},
                  expected=(0, UNEXPORTED_EDITS_EXIT))
    if result.returncode == UNEXPORTED_EDITS_EXIT:
        raise UnexportedEdits(result.stderr.strip().splitlines()[-1])
    return result.stdout.strip() + ("\n" + message if message else "")


def verify_lockdown(settings: Settings) -> str:
    """Check that Superset's serving database is read-only with DuckDB's file access off and locked,
    in its definition and by a real query that must be refused; raise ``SupersetError`` if not."""
    probe = secrets_path(settings)
    _secrets(settings)
    return _bundle_tool("verify", settings, extra=["--probe-file", str(probe)])


def export_dashboards(settings: Settings, bundle: Path = BUNDLE_DIR) -> str:
    """Write every dashboard in Superset back into ``bundle`` (default ``dashboards/bundle``) as YAML."""
    return _bundle_tool("export", settings, bundle)


def superset_service(settings: Settings, host: str = "127.0.0.1", port: int | None = None) -> Service:
    port = port or settings.superset_port
    return Service(
        name="superset",
        url=f"http://{host}:{port}",
        health_path="/health",
        command=[str(_bin("gunicorn", settings)), "--bind", f"{host}:{port}", "--workers", "1",
                 "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--limit-request-line", "0",
                 "--limit-request-field_size", "0", "superset.app:create_app()"],
        env=superset_env(settings),
    )
