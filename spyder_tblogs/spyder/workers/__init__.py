"""Worker objects that keep disk and process work off Spyder's GUI thread.

- :class:`IndexWorker` finds the log roots of a directory, owns one
  :class:`~spyder_tblogs.logs.LogIndex` per root, refreshes them when the
  file watcher reports a change or the polling timer fires, and sends the
  results to the GUI thread as immutable
  :class:`~spyder_tblogs.spyder.snapshots.RootBatch` snapshots, split into
  bounded batches.
- :class:`TensorBoardWorker` starts and stops TensorBoard through the
  blocking :class:`~spyder_tblogs.tensorboard.TensorBoardManager` and polls
  for instances that died.

Both are plain ``QObject``\\s moved to their own ``QThread`` by
:class:`WorkerThread`; the GUI talks to them only through queued signals.
"""

from spyder_tblogs.spyder.workers.index_worker import IndexWorker
from spyder_tblogs.spyder.workers.tensorboard_worker import TensorBoardWorker
from spyder_tblogs.spyder.workers.thread import WorkerThread

__all__ = ["IndexWorker", "TensorBoardWorker", "WorkerThread"]
