"""One server per directory however it is spelled (issue 14, item 7).

On a case-insensitive file system (macOS' default, Windows) ``logs`` and
``Logs`` are one directory that ``realpath`` leaves as typed; a bind mount
is another spelling of one directory. Directories are matched by
``(st_dev, st_ino)`` and spelled as their file system lists them;
interpreters compare by ``os.path.normcase`` (case on Windows). Real
TensorBoard subprocesses on 127.0.0.1.
"""

import contextlib
import ntpath
import os
import shutil
import subprocess
import sys

import pytest

from spyder_tblogs.tensorboard import arguments, identity
from tb_helpers import gone, symlink_or_skip


def _stop_and_check(manager, spelling, instance):
    stopped = manager.stop(spelling)
    assert instance.pid in stopped
    assert gone(instance.pid)
    assert manager.list() == []


def test_a_record_under_another_spelling_is_found_reused_and_stopped(
        manager, logdir, sandbox, monkeypatch):
    # No mount needed: a record whose log directory is spelled through a
    # symlink that normalization left unresolved, as realpath leaves
    # another case unresolved on a case-insensitive file system.
    alias = sandbox / "alias"
    symlink_or_skip(str(logdir), str(alias))
    real_normalize = arguments.normalize_logdir
    with monkeypatch.context() as patch:
        patch.setattr(arguments, "normalize_logdir",
                      lambda path, must_exist=True: os.path.abspath(path)
                      if path == str(alias) else real_normalize(path,
                                                                must_exist))
        first = manager.start(str(alias))
    assert first.logdir == str(alias) != real_normalize(str(logdir))

    assert manager.find(str(logdir)).pid == first.pid
    again = manager.start(str(logdir))
    assert (again.pid, again.reused) == (first.pid, True)
    # With explicit extra arguments only a server started with them counts.
    assert manager.find(str(logdir), extra_args=("--samples_per_plugin",
                                                 "scalars=9")) is None
    _stop_and_check(manager, str(logdir), first)


def test_interpreter_case_counts_only_where_paths_ignore_case(
        manager, logdir, monkeypatch):
    first = manager.start(str(logdir))
    other_case = first.python.swapcase()
    # Linux: another case is another file.
    assert manager.find(str(logdir), python=other_case) is None
    _stop_and_check(manager, str(logdir), first)
    with monkeypatch.context() as patch:
        # Windows' rule, for the whole life of the server (the record's
        # name folds the interpreter's case there too): C:\Env\python.exe
        # is c:\env\PYTHON.EXE.
        patch.setattr(os.path, "normcase", ntpath.normcase)
        first = manager.start(str(logdir))
        assert manager.find(str(logdir), python=other_case).pid == first.pid
        again = manager.start(str(logdir), python=other_case)
        # Reused, and the interpreter run stays the one spelled at launch.
        assert (again.pid, again.reused) == (first.pid, True)
        assert again.python == first.python
        _stop_and_check(manager, str(logdir), first)


def test_case_sensitive_directories_stay_apart(sandbox):
    lower, upper = sandbox / "runs", sandbox / "RUNS"
    lower.mkdir()
    if upper.exists():
        pytest.skip("this file system ignores case")
    upper.mkdir()
    assert arguments.normalize_logdir(str(upper)) == str(upper)
    assert arguments.normalize_logdir(str(lower)) == str(lower)
    assert not identity.same_logdir(str(lower), str(upper))
    # Missing directories and URLs compare as spelled.
    assert identity.same_logdir(str(sandbox / "gone"), str(sandbox / "gone"))
    assert not identity.same_logdir(str(sandbox / "gone"),
                                    str(sandbox / "GONE"))
    assert identity.directory_id("s3://bucket/runs") is None


# --- Real mounts (root on Linux; skipped where the container forbids them) --

def _run(*command):
    result = subprocess.run(command, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True)
    # One line, for skip reasons.
    result.stderr = " ".join(result.stderr.split())
    return result


@contextlib.contextmanager
def _mounted(mount_command, point):
    """Mount with ``mount_command`` (ending in ``point``), or skip."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or \
            shutil.which("mount") is None:
        pytest.skip("mounting needs root on Linux")
    point.mkdir(exist_ok=True)
    result = _run(*mount_command)
    if result.returncode != 0:
        pytest.skip(f"cannot mount here: {result.stderr}")
    try:
        yield point
    finally:
        # Lazy: a process that still has it open must not leave it behind.
        _run("umount", "-l", str(point))


def test_a_bind_mount_is_the_same_directory(manager, logdir, sandbox):
    point = sandbox / "bound"
    with _mounted(("mount", "--bind", str(logdir), str(point)), point):
        assert arguments.normalize_logdir(str(point)) == str(point)
        first = manager.start(str(point))
        try:
            assert first.logdir == str(point)
            again = manager.start(str(logdir))
            assert (again.pid, again.reused) == (first.pid, True)
            assert manager.find(str(logdir)).pid == first.pid
            _stop_and_check(manager, str(logdir), first)
        finally:
            manager.stop(first)


def _case_insensitive_mount(sandbox):
    """Try the file systems that ignore case; return ``(mount command,
    mount point, whether case is ignored only in a directory marked +F)``.
    """
    point = sandbox / "nocase"
    image = str(sandbox / "nocase.img")
    loop = ("mount", "-o", "loop", image, str(point))
    attempts = [
        # Linux 6.13+ with CONFIG_UNICODE: no image needed.
        ("tmpfs casefold", None,
         ("mount", "-t", "tmpfs", "-o", "casefold", "tmpfs", str(point)),
         False),
        ("vfat", ("mkfs.vfat", image), loop, False),
        # CONFIG_UNICODE: case is ignored in directories marked +F.
        ("ext4 casefold", ("mkfs.ext4", "-q", "-O", "casefold", image),
         loop, True),
    ]
    reasons = []
    for name, make, mount, marked in attempts:
        if make is not None:
            if shutil.which(make[0]) is None:
                reasons.append(f"{name}: no {make[0]}")
                continue
            with open(image, "wb") as stream:
                stream.truncate(32 * 1024 * 1024)
            made = _run(*make)
            if made.returncode != 0:
                reasons.append(f"{name}: {made.stderr}")
                continue
        point.mkdir(exist_ok=True)
        result = _run(*mount)
        if result.returncode == 0:
            _run("umount", "-l", str(point))
            return mount, point, marked
        reasons.append(f"{name}: {result.stderr or 'refused'}")
    pytest.skip("no case-insensitive file system can be mounted here ("
                + "; ".join(reasons) + ")")


def _ignores_case(directory):
    probe = directory / "CaseProbe"
    probe.mkdir()
    try:
        return (directory / "CASEPROBE").is_dir()
    finally:
        probe.rmdir()


def _check_case_spellings(manager, base):
    """Every case spelling of ``base/Logs`` is one TensorBoard."""
    (base / "Logs").mkdir()
    stored = str(base / "Logs")
    assert arguments.normalize_logdir(str(base / "lOGS")) == stored
    first = manager.start(str(base / "LOGS"))
    try:
        assert first.logdir == stored
        again = manager.start(str(base / "logs"))
        assert (again.pid, again.reused) == (first.pid, True)
        assert manager.find(str(base / "LoGs")).pid == first.pid
        assert identity.same_logdir(str(base / "logs"), stored)
        _stop_and_check(manager, str(base / "lOgS"), first)
    finally:
        manager.stop(first)


def test_another_case_on_a_case_insensitive_file_system(manager, sandbox):
    if _ignores_case(sandbox):      # macOS' and Windows' default
        _check_case_spellings(manager, sandbox)
        return
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting needs root on Linux")
    mount, point, marked = _case_insensitive_mount(sandbox)
    with _mounted(mount, point):
        base = point
        if marked:
            base = point / "nocase"
            base.mkdir()
            flagged = _run("chattr", "+F", str(base))
            if flagged.returncode != 0:
                pytest.skip(f"cannot mark {base} +F: {flagged.stderr}")
        if not _ignores_case(base):
            pytest.skip("the mount does not ignore case")
        _check_case_spellings(manager, base)
