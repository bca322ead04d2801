"""Qt-free management of TensorBoard server processes.

Start TensorBoard as a separate process (never in Spyder's GUI thread nor in
the IPython kernel), reuse a running one, notice when one dies, and stop a
server together with its children. The Spyder plugin wraps
:class:`TensorBoardManager` in a worker thread; ``python -m spyder_tblogs
tensorboard ...`` exposes it on the command line.
"""

from spyder_tblogs.tensorboard.instance import (
    ServerState, TensorBoardError, TensorBoardInstance,
    TensorBoardSecurityWarning, TensorFlowUse)
from spyder_tblogs.tensorboard.launch_plan import TensorFlowChoice
from spyder_tblogs.tensorboard.manager import (
    TensorBoardManager, check_extra_args, security_warning)
from spyder_tblogs.tensorboard.process import find_interpreter
from spyder_tblogs.tensorboard.windows import split_args as split_extra_args

__all__ = [
    "TensorBoardManager", "TensorBoardInstance", "TensorBoardError",
    "find_interpreter", "ServerState", "TensorBoardSecurityWarning",
    "check_extra_args", "security_warning", "TensorFlowChoice",
    "TensorFlowUse", "split_extra_args",
]
