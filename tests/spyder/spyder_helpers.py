"""Process hygiene of the plugin tests, imported by the tests and their conftest.

A module of its own (not ``from conftest import``): pytest imports every
``conftest.py`` under the same module name.
"""

import psutil


def processes_below(*needles):
    """Processes started below this test process whose command line
    mentions one of ``needles``."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(needle in command for needle in needles):
            found.append(child)
    return found


def tensorboard_processes():
    """TensorBoard processes started below this test process."""
    return processes_below("tensorboard")


def kill_processes(processes):
    """Kill ``processes`` and wait for them."""
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)
