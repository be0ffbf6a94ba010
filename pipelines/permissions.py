"""Who else on the server may read what the product writes.

The warehouse, the serving snapshots, the Parquet lake, the logs and Superset's metadata hold customer
text (masked) and pseudonymised ids: they are for the account that runs VoC (and, with the default mask,
its group), not for every login on the machine. Python and the libraries below it (DuckDB, Dagster,
Superset) create files with the process umask, usually 022, which leaves them world-readable (0644).

Every entry point (the ``voc`` command and the Dagster code location) calls :func:`restrict_new_files`
first, so every file and folder written afterwards, by this process or by the services ``voc serve``
starts, is created with ``settings.umask`` taken away. A data folder made by an earlier version is
closed too: taking the bits from the folder itself keeps others out of everything below it.
"""

from __future__ import annotations

import os
import stat

from pipelines.settings import Settings


def restrict_new_files(settings: Settings) -> None:
    """Set the process umask to ``settings.umask`` (0o027 by default: files 0640, folders 0750) and take
    the same bits from ``settings.data_dir`` and the warehouse file when they exist.

    A data folder that is shared on purpose (sticky, like /tmp) or owned by another account is left as
    it is; nothing here raises.
    """
    os.umask(settings.umask)
    for path in (settings.data_dir, settings.warehouse_path):
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_uid != os.geteuid() or info.st_mode & stat.S_ISVTX:
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & settings.umask:
            try:
                path.chmod(mode & ~settings.umask)
            except OSError:
                continue
