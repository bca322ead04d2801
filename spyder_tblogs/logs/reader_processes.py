"""Reader processes: read a batch of event files and hand their states back.

A worker runs :func:`main`: it reads a pickled list of
:class:`~spyder_tblogs.logs.reader.FileState` on stdin, reads each file
from its offset and writes the pickled, updated list on stdout.

The index starts these with :mod:`subprocess` rather than a
``multiprocessing`` pool: ``spawn`` re-imports the caller's ``__main__`` in
every worker (Spyder's start script, or any unguarded user script, which
then fails), while a fresh interpreter running only this module stays
small, fast to start, and is safe to launch from a threaded Qt process.
"""

import os
import pickle
import subprocess
import sys
import threading

from spyder_tblogs.logs.reader import read_event_file

__all__ = ["read_in_processes", "start_worker"]

# subprocess.CREATE_NO_WINDOW (only defined on Windows): no console window
# flashes for each worker when Spyder runs under pythonw.
_CREATION_FLAGS = 0x08000000 if sys.platform == "win32" else 0

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# The worker's command: drop the working directory from sys.path (a user's
# project could shadow a module) and append, never prepend, this package's
# parent so a source checkout works without shadowing anything installed.
_BOOTSTRAP = (
    "import sys\n"
    "sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n"
    "sys.path.append(%r)\n"
    "from %s import main\n"
    "sys.exit(main())\n")


def start_worker(module="spyder_tblogs.logs.reader_processes"):
    """Start a fresh interpreter running ``module.main()``, talking to it
    through pipes on its stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-c", _BOOTSTRAP % (_PACKAGE_PARENT, module)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        creationflags=_CREATION_FLAGS)


def _balance(states, workers):
    """Split states into ``workers`` batches of similar byte counts."""
    batches = [[] for _ in range(workers)]
    loads = [0] * workers
    for state in sorted(states, key=lambda item: item.offset - item.size):
        lightest = loads.index(min(loads))
        batches[lightest].append(state)
        loads[lightest] += max(0, state.size - state.offset) + 4096
    return [batch for batch in batches if batch]


def read_in_processes(states, workers):
    """Read ``states`` in ``workers`` processes; return the updated states.

    Raises
    ------
    RuntimeError
        When a worker fails (the caller falls back to reading in-process).
    """
    processes = []
    try:
        for batch in _balance(states, workers):
            process = start_worker()
            processes.append((process, pickle.dumps(
                batch, protocol=pickle.HIGHEST_PROTOCOL)))
        outputs = [None] * len(processes)

        def exchange(index, process, payload):
            outputs[index] = process.communicate(payload)[0]

        threads = [threading.Thread(target=exchange, args=(index,) + item,
                                    daemon=True)
                   for index, item in enumerate(processes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results = []
        for (process, _), output in zip(processes, outputs):
            if process.returncode != 0 or not output:
                raise RuntimeError("log reader worker exited with code %s"
                                   % process.returncode)
            results.extend(pickle.loads(output))
        return results
    finally:
        for process, _ in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def main():
    """Worker entry point (stdin -> stdout, both pickled)."""
    states = pickle.load(sys.stdin.buffer)
    for state in states:
        read_event_file(state)
    sys.stdout.buffer.write(pickle.dumps(states,
                                         protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
