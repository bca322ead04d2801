"""Fixtures for the log-index tests: real logs from real writers.

The TensorFlow logs (``tf.summary`` and a Keras ``fit``) and TensorBoard's
own view of them are built once per session, in subprocesses: this test
process never imports TensorFlow.
"""

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import writers  # noqa: E402  (tests/writers.py, shared by all floors)

# A run name with non-ASCII characters and spaces.
ODD_RUN = "résumé run ü"


@pytest.fixture(scope="session")
def mixed_logdir(tmp_path_factory):
    """A log directory written by every kind of real writer.

    Runs: ``tb`` (tensorboard's EventFileWriter, with a graph), ``tbx`` and
    its ``add_hparams`` subrun (tensorboardX), ``tf/tf2`` (TF2
    ``tf.summary``), ``tf/keras/train`` and ``tf/keras/validation`` (Keras
    callback) and ``ODD_RUN`` (tensorboard's writer, odd name).
    """
    root = tmp_path_factory.mktemp("mixed")
    writers.write_tensorboard_events(str(root / "tb"), graph=True)
    writers.write_tensorboardx_events(str(root / "tbx"))
    writers.write_tensorflow_logs(str(root / "tf"))
    writers.write_tensorboard_events(str(root / ODD_RUN), steps=7,
                                     tags=("métrique",))
    return str(root)


@pytest.fixture(scope="session")
def mixed_oracle(mixed_logdir):
    """TensorBoard's EventMultiplexer view of ``mixed_logdir``."""
    return writers.tensorboard_oracle(mixed_logdir)


@pytest.fixture
def logdir_copy(mixed_logdir, tmp_path):
    """A private copy of the mixed log directory, safe to damage."""
    target = tmp_path / "copy"
    shutil.copytree(mixed_logdir, target, symlinks=True)
    return str(target)


def make_old(path, seconds=3600):
    """Set a file's mtime ``seconds`` in the past (a writer long gone)."""
    stat = os.stat(path)
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def event_files(directory):
    """Return the event files under ``directory``, sorted."""
    found = []
    for folder, _, names in os.walk(directory):
        found.extend(os.path.join(folder, name) for name in names
                     if "tfevents" in name)
    return sorted(found)
