"""Fixtures for the TensorBoard manager tests.

Every test gets its own registry directory (also exported as
``$SPYDER_TBLOGS_REGISTRY`` so CLI subprocesses use it) and its own log
directories under ``tmp_path``. At teardown every process whose command line
mentions ``tmp_path`` (TensorBoard and its Rust data server both carry the
log directory) is killed, whatever the test did, and the test fails if one
survives.
"""

import os
import time

import psutil
import pytest

from spyder_tblogs.tensorboard import TensorBoardManager
from tb_helpers import leftover_processes

# TensorBoard imports TensorFlow (~3 s here) when it is installed. Most tests
# do not need it, so they run TensorBoard with TensorFlow hidden (its
# documented "reduced feature set" mode, ~0.6 s to ready). Tests that want
# the full import request the ``real_tensorflow`` fixture.
_HIDE_TENSORFLOW = 'raise ImportError("tensorflow hidden to speed up tests")\n'


@pytest.fixture(scope="session")
def tensorflow_hiding_path(tmp_path_factory):
    """Directory with a ``tensorflow`` package that refuses to import."""
    root = tmp_path_factory.mktemp("hide-tensorflow")
    package = root / "tensorflow"
    package.mkdir()
    (package / "__init__.py").write_text(_HIDE_TENSORFLOW, encoding="utf-8")
    return str(root)


@pytest.fixture(autouse=True)
def fast_tensorboard(monkeypatch, tensorflow_hiding_path):
    """Children started by the test see TensorFlow as not installed."""
    original = os.environ.get("PYTHONPATH")
    paths = [tensorflow_hiding_path] + ([original] if original else [])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    return original


@pytest.fixture
def real_tensorflow(monkeypatch, fast_tensorboard):
    """Undo :func:`fast_tensorboard`: TensorBoard imports TensorFlow.

    Skips where TensorFlow is not installed: it has no wheel for every
    platform the suite runs on (none for Intel Macs on Python 3.13).
    """
    import importlib.util
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow is not installed (no wheel for this "
                    "platform and Python)")
    if fast_tensorboard is None:
        monkeypatch.delenv("PYTHONPATH", raising=False)
    else:
        monkeypatch.setenv("PYTHONPATH", fast_tensorboard)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Isolated registry; kills every process mentioning ``tmp_path`` after."""
    registry = tmp_path / "registry"
    monkeypatch.setenv("SPYDER_TBLOGS_REGISTRY", str(registry))
    yield tmp_path
    leftovers = leftover_processes(tmp_path)
    for process in leftovers:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(leftovers, timeout=10)
    # Orphans are reaped by init; give it a moment before the final check.
    deadline = time.monotonic() + 10
    while leftover_processes(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftover_processes(tmp_path) == []


@pytest.fixture
def manager(sandbox):
    """A manager on the sandbox registry."""
    return TensorBoardManager(str(sandbox / "registry"))


@pytest.fixture
def logdir(sandbox):
    """An empty log directory."""
    path = sandbox / "logs"
    path.mkdir()
    return path
