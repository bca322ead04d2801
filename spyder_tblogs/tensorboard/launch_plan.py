"""How to launch TensorBoard for a log root: with TensorFlow or without.

TensorBoard imports TensorFlow when it is installed, which costs 2-3 s and
~500 MB and gives a user of the served pages nothing (measured in issue 11).
The manager therefore runs TensorBoard through ``launcher.py``, which makes
TensorBoard use its bundled TF-free stub, unless asked to load TensorFlow
("when installed") or unless the log root is a URL whose scheme only
TensorFlow's file systems read. ``s3://`` is the reverse: TensorFlow 2.21's
file systems refuse it, and only the stub reads it (through boto3, with the
endpoint in ``S3_ENDPOINT``).
"""

import dataclasses
import enum
import json
import os
import subprocess
from typing import Dict, Optional, Tuple

from spyder_tblogs.logs.remote import url_scheme
from spyder_tblogs.tensorboard import windows as _windows
from spyder_tblogs.tensorboard.instance import TensorBoardError, TensorFlowUse
from spyder_tblogs.tensorboard.process import (
    LAUNCHER_PATH, TENSORBOARD_MODULE, tail_lines)

#: What TensorBoard prints at start-up when it runs on its stub
#: (``tensorboard.main_lib.global_init``).
STUB_MESSAGE = "TensorFlow installation not found"

#: Schemes the stub reads by itself; TensorFlow 2.21 does not read s3://.
STUB_ONLY_SCHEMES = ("s3",)

# Seconds for probing an interpreter's modules (an import of boto3 or fsspec).
_PROBE_TIMEOUT = 60


class TensorFlowChoice(enum.Enum):
    """The "Load TensorFlow in TensorBoard" preference."""

    #: Never: fastest; TensorBoard's TF-free stub (default).
    NEVER = "never"
    #: When installed in the interpreter that runs TensorBoard.
    WHEN_INSTALLED = "when-installed"

    @classmethod
    def of(cls, value):
        """Return ``value`` as a choice (an instance, its value or name).

        Raises
        ------
        TensorBoardError
            For anything else.
        """
        if isinstance(value, cls):
            return value
        for choice in cls:
            if value in (choice.value, choice.name):
                return choice
        raise TensorBoardError(
            f"bad TensorFlow choice {value!r}; use one of "
            f"{', '.join(choice.value for choice in cls)}")


@dataclasses.dataclass(frozen=True)
class LaunchPlan:
    """What runs TensorBoard for one log root.

    Attributes
    ----------
    program : tuple of str
        What follows the interpreter and its options: the launcher's path,
        or ``-m tensorboard.main``.
    environment : dict
        Variables to set in TensorBoard's environment.
    tensorflow : TensorFlowUse or None
        Known in advance (``SKIPPED`` for the launcher), else None: whether
        TensorFlow loaded is read from TensorBoard's output
        (:func:`tensorflow_use`).
    reason : str
        Why TensorFlow is loaded although the choice was NEVER, or skipped
        although it was WHEN_INSTALLED (empty otherwise).
    """

    program: Tuple[str, ...]
    environment: Dict[str, str]
    tensorflow: Optional[TensorFlowUse]
    reason: str = ""


def plan_launch(logdir, python, choice):
    """Decide how to launch TensorBoard for ``logdir`` with ``python``.

    Parameters
    ----------
    logdir : str
        A normalized log root: a real path or a URL.
    python : str
        The interpreter (it can import tensorboard).
    choice : TensorFlowChoice

    Raises
    ------
    TensorBoardError
        The interpreter cannot read the URL's scheme; the message says what
        to install.
    """
    scheme = url_scheme(logdir)
    if scheme in STUB_ONLY_SCHEMES:
        _require_module(python, "boto3",
                        f"TensorBoard reads {scheme}:// through boto3")
        return LaunchPlan(
            program=(LAUNCHER_PATH,), environment=s3_environment(),
            tensorflow=TensorFlowUse.SKIPPED,
            reason=("" if choice is TensorFlowChoice.NEVER else
                    f"TensorFlow's file systems do not read {scheme}://"))
    if scheme not in (None, "file"):
        stub_reads, has_tensorflow = _probe_scheme(python, scheme)
        if not stub_reads:
            if not has_tensorflow:
                raise TensorBoardError(
                    f"{python} cannot read {scheme}:// for TensorBoard: "
                    f"install TensorFlow (with its {scheme} file system) or "
                    f"an fsspec implementation of {scheme} there")
            return LaunchPlan(
                program=TENSORBOARD_MODULE, environment={}, tensorflow=None,
                reason=("" if choice is TensorFlowChoice.WHEN_INSTALLED else
                        f"only TensorFlow's file systems read {scheme}://"))
    if choice is TensorFlowChoice.WHEN_INSTALLED:
        return LaunchPlan(program=TENSORBOARD_MODULE, environment={},
                          tensorflow=None)
    return LaunchPlan(program=(LAUNCHER_PATH,), environment={},
                      tensorflow=TensorFlowUse.SKIPPED)


def s3_environment(environ=None):
    """Return ``{"S3_ENDPOINT": ...}`` when only the AWS variables name the
    endpoint (TensorBoard's stub reads ``S3_ENDPOINT``); else ``{}``."""
    environ = os.environ if environ is None else environ
    if environ.get("S3_ENDPOINT"):
        return {}
    # boto3's own order: the service-specific variable wins.
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if environ.get(name):
            return {"S3_ENDPOINT": environ[name]}
    return {}


def tensorflow_use(plan, stderr_text):
    """Return how the TensorBoard launched with ``plan`` uses TensorFlow,
    given what it wrote to stderr while starting."""
    if plan.tensorflow is not None:
        return plan.tensorflow
    if STUB_MESSAGE in stderr_text:
        return TensorFlowUse.NOT_INSTALLED
    return TensorFlowUse.LOADED


# --- probing the interpreter ------------------------------------------------
# Always in a child of that interpreter, with the environment TensorBoard
# will get: its PYTHONPATH, not ours, decides what imports. Only URL roots
# pay for this, and only when a server is launched.

def _run_probe(python, code, *args):
    try:
        return subprocess.run(
            [python, "-c", code, *args], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=_PROBE_TIMEOUT, **_windows.child_kwargs())
    except (OSError, subprocess.SubprocessError) as error:
        raise TensorBoardError(f"cannot run {python}: {error}") from None


def _require_module(python, module, why):
    completed = _run_probe(python, f"import {module}")
    if completed.returncode != 0:
        tail = tail_lines(completed.stderr.decode("utf-8", "replace"), 1)
        raise TensorBoardError(
            f"{why}, which {python} cannot import ({tail or 'import failed'})"
            f"; install it there (pip install {module})")


_SCHEME_PROBE = """
import importlib.util, json, sys
try:
    import fsspec
    fsspec.get_filesystem_class(sys.argv[1])
    stub_reads = True
except (ImportError, ValueError):
    stub_reads = False
print(json.dumps([stub_reads,
                  importlib.util.find_spec("tensorflow") is not None]))
"""


def _probe_scheme(python, scheme):
    """Return ``(stub_reads, has_tensorflow)`` for ``scheme`` in ``python``:
    whether TensorBoard's stub reads it (through fsspec) and whether
    TensorFlow is installed."""
    completed = _run_probe(python, _SCHEME_PROBE, scheme)
    try:
        stub_reads, has_tensorflow = json.loads(
            completed.stdout.decode("utf-8", "replace").strip()
            .splitlines()[-1])
    except (ValueError, IndexError):
        tail = tail_lines(completed.stderr.decode("utf-8", "replace"), 1)
        raise TensorBoardError(
            f"cannot tell whether {python} reads {scheme}:// "
            f"({tail or 'no answer'})") from None
    return bool(stub_reads), bool(has_tensorflow)
