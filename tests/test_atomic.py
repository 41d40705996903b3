"""Safe writes: complete or absent, and no leftovers from a write that was killed."""

import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

from lstm_toolkit import atomic

KILLED_MIDWAY = """
import os, signal, sys
from lstm_toolkit import atomic

with atomic.staged_folder(sys.argv[1]) as staging:
    (staging / "model.keras").write_bytes(b"half a model")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path):
    target = tmp_path / "bundle"
    with atomic.staged_folder(target) as staging:
        (staging / "a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic.staged_folder(target) as staging:
            (staging / "a.txt").write_text("second")
            raise RuntimeError("crash midway")
    assert (target / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    with atomic.staged_folder(target) as staging:
        (staging / "b.txt").write_text("third")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]


def test_a_file_is_replaced_atomically(tmp_path):
    atomic.write_text(tmp_path / "record.json", "{}")
    atomic.write_bytes(tmp_path / "record.json", b"[1]")
    assert (tmp_path / "record.json").read_text() == "[1]"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_a_file_where_a_folder_should_be_is_named_and_left_alone(tmp_path):
    (tmp_path / "models").write_text("notes")
    for write in (lambda: atomic.write_text(tmp_path / "models" / "deep" / "m.json", "{}"),
                  lambda: atomic.staged_folder(tmp_path / "models" / "m").__enter__()):
        with pytest.raises(FileExistsError, match=r"Cannot write .*models/(deep/m\.json|m): .*models is a file, not a folder"):
            write()
    assert (tmp_path / "models").read_text() == "notes" and sorted(p.name for p in tmp_path.iterdir()) == ["models"]


@pytest.mark.parametrize("repeat", range(3))
def test_the_next_save_removes_what_a_killed_save_left(tmp_path, repeat):
    target = tmp_path / "bundle"
    with atomic.staged_folder(target) as staging:
        (staging / "model.keras").write_bytes(b"the good model")
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_MIDWAY), str(target)])
    assert killed.returncode == -signal.SIGKILL
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "bundle"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".bundle.partial-")  # what SIGKILL leaves
    assert (target / "model.keras").read_bytes() == b"the good model"  # the bundle itself is intact
    with atomic.staged_folder(target) as staging:
        (staging / "model.keras").write_bytes(b"the next model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_a_running_writers_staging_is_left_alone(tmp_path):
    host = socket.gethostname()
    mine = tmp_path / f".bundle.partial-{host}-{os.getpid()}-abc123"
    dead = tmp_path / f".bundle.partial-{host}-{_dead_pid()}-def456"
    retired = tmp_path / f".bundle.old-{host}-{_dead_pid()}-0a1b2c3d"
    elsewhere = tmp_path / ".bundle.partial-another-host-1-ghi789"
    other_name = tmp_path / f".bundles.partial-{host}-{_dead_pid()}-jkl012"
    for folder in (mine, dead, retired, elsewhere, other_name):
        folder.mkdir()
    removed = atomic.remove_stale(tmp_path / "bundle")
    assert sorted(p.name for p in removed) == sorted([dead.name, retired.name])
    assert mine.is_dir() and elsewhere.is_dir() and other_name.is_dir()
    assert not dead.exists() and not retired.exists()
