"""Process hygiene of the plugin tests, imported by the tests and their conftest.

A module of its own (not ``from conftest import``): pytest imports every
``conftest.py`` under the same module name.
"""

import psutil


def tensorboard_processes():
    """TensorBoard processes started below this test process."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "tensorboard" in command:
            found.append(child)
    return found


def kill_processes(processes):
    """Kill ``processes`` and wait for them."""
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)
