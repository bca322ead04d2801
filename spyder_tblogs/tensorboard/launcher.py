"""Run TensorBoard's own ``main`` without importing TensorFlow.

TensorBoard reaches TensorFlow only through ``tensorboard.compat.tf``, which
resolves to TensorBoard's bundled TF-free stub when a module named
``tensorboard.compat.notf`` is importable (that is how TensorBoard's own
TF-free builds work). Registering that module before TensorBoard starts
saves the 2-3 s and ~500 MB of importing TensorFlow, which the pages a user
looks at do not need; the stub also reads ``s3://`` through boto3, which
TensorFlow's file systems no longer do.

The manager runs this file by its path (``python launcher.py FLAGS...``),
never as ``-m spyder_tblogs...``: the interpreter chosen for TensorBoard may
be another environment's, without spyder_tblogs installed. So this file
imports nothing but the standard library and TensorBoard.
"""

import os
import sys
import types

#: The module whose presence makes ``tensorboard.compat.tf`` the stub.
NO_TENSORFLOW_MODULE = "tensorboard.compat.notf"


def main():
    """Switch TensorFlow off for TensorBoard, then run TensorBoard's main."""
    here = os.path.dirname(os.path.realpath(__file__))
    # Run as a script, Python put this file's directory (symlinks resolved)
    # first on sys.path: its modules (process.py, registry.py...) must not
    # shadow TensorBoard's imports.
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]
    sys.modules.setdefault(NO_TENSORFLOW_MODULE,
                           types.ModuleType(NO_TENSORFLOW_MODULE))
    from tensorboard.main import run_main
    run_main()


if __name__ == "__main__":
    main()
