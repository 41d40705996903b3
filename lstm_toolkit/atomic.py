"""Safe writes: a file or a folder appears complete at its path, or not at all.

Bundles, exports and tuner records are written through here. A write goes to a
staging file or folder beside its path (``.NAME.partial-HOST-PID-RANDOM``), is
flushed to disk, and only then renamed over the path, so a crash, a kill or a
full disk midway leaves the previous version as it was. A write killed before
its rename leaves its staging folder behind: the next write to the same path
removes the ones whose process is gone.

Example:

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_bytes(folder / "notes.txt", b"done")
>>> with staged_folder(folder / "bundle") as staging:
...     _ = (staging / "model.bin").write_bytes(b"weights")
>>> sorted(path.name for path in folder.iterdir())
['bundle', 'notes.txt']
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

PARTIAL = "partial"
RETIRED = "old"


def _staging_prefix(path, kind=PARTIAL):
    return f".{path.name}.{kind}-{socket.gethostname()}-{os.getpid()}-"


def _is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(path):
    """Removes what writes to `path` killed midway left beside it; returns the removed paths.

    Only staging and retired copies written on this machine by a process that
    is no longer running are removed: a concurrent write's are left alone.
    """
    path = Path(path)
    host = socket.gethostname()
    removed = []
    if not path.parent.is_dir():
        return removed
    for kind in (PARTIAL, RETIRED):
        prefix = f".{path.name}.{kind}-"
        for candidate in path.parent.glob(f"{glob.escape(prefix)}*"):
            owner = candidate.name[len(prefix):].rsplit("-", 2)
            if len(owner) != 3 or owner[0] != host or not owner[1].isdigit() or _is_running(int(owner[1])):
                continue
            if candidate.is_dir():
                shutil.rmtree(candidate, ignore_errors=True)
            else:
                candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _fsync(path):
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def blocking_file(folder):
    """The first of `folder` and the folders above it that exists and is not a folder (None: it can be made)."""
    folder = Path(folder)
    return next((path for path in [folder, *folder.parents] if path.exists() and not path.is_dir()), None)


def make_parent(path):
    """Creates the folders above `path`; a file where one of them should be is named in the error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise FileExistsError(f"Cannot write {path}: {blocking_file(path.parent)} is a file, not a folder. "
                              "Choose another path.") from None


def write_bytes(path, data):
    """Writes `data` to the file `path` atomically (staging file, fsync, rename)."""
    path = Path(path)
    make_parent(path)
    remove_stale(path)
    handle, staging = tempfile.mkstemp(prefix=_staging_prefix(path), dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(staging, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(staging)
        raise


def write_text(path, text):
    """Writes `text` (UTF-8) to the file `path` atomically."""
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def staged_folder(path):
    """Yields an empty staging folder; on success it replaces the folder `path` whole.

    Every file in the staging folder is flushed to disk before the rename.
    The old folder at `path` is kept until the new one is in place. If the
    block raises, the staging folder is removed and `path` is untouched.
    """
    path = Path(path)
    make_parent(path)
    remove_stale(path)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(path), dir=path.parent))
    try:
        yield staging
        for file in staging.rglob("*"):
            if file.is_file():
                _fsync(file)
        replace_folder(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_folder(staging, path):
    """Renames the finished folder `staging` to `path`, keeping the old `path` until then."""
    staging, path = Path(staging), Path(path)
    if not path.exists():
        os.rename(staging, path)
        return
    retired = path.parent / f"{_staging_prefix(path, RETIRED)}{uuid.uuid4().hex[:8]}"
    os.rename(path, retired)
    try:
        os.rename(staging, path)
    except BaseException:
        os.rename(retired, path)
        raise
    shutil.rmtree(retired, ignore_errors=True)
