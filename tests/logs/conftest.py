"""Fixtures for the log-index tests: real logs from real writers.

The TensorFlow logs (``tf.summary`` and a Keras ``fit``) and TensorBoard's
own view of them are built once per session, in subprocesses: this test
process never imports TensorFlow.
"""

import shutil

import pytest
from log_helpers import ODD_RUN, writers


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
