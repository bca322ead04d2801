"""find_kernel_pid with real processes: a plain kernel, and a launcher that
re-starts itself as its child with the same command line, the way a Windows
venv's python.exe redirector (or `conda run`) does."""

import os
import subprocess
import sys
import time

import psutil
import pytest

from spyder_tblogs.logs.kernel_process import (
    find_kernel_pid, process_start_time)

# Stands in for `python -m spyder_kernels.console -f <connection file>`.
# With REDIRECT=1 it starts itself again, same command line, and waits for
# that child, as the redirector does; the innermost one writes its pid.
KERNEL_SCRIPT = """\
import os, subprocess, sys, time
if os.environ.pop("REDIRECT", "") == "1":
    sys.exit(subprocess.call([sys.executable] + sys.argv))
with open(os.environ["PID_FILE"] + ".tmp", "w") as stream:
    stream.write(str(os.getpid()))
os.replace(os.environ["PID_FILE"] + ".tmp", os.environ["PID_FILE"])
time.sleep(120)
"""


@pytest.fixture
def start_kernel(tmp_path):
    started = []

    def start(redirect):
        script = tmp_path / "fake_kernel.py"
        script.write_text(KERNEL_SCRIPT)
        pid_file = tmp_path / f"pid-{len(started)}"
        connection = f"kernel-{os.getpid()}-{len(started)}.json"
        env = dict(os.environ, PID_FILE=str(pid_file),
                   REDIRECT="1" if redirect else "0")
        popen = subprocess.Popen(
            [sys.executable, str(script), "-f", str(tmp_path / connection)],
            env=env)
        started.append(popen)
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert popen.poll() is None, "the fake kernel exited"
            assert time.monotonic() < deadline, "the fake kernel never started"
            time.sleep(0.05)
        return popen, connection, int(pid_file.read_text())

    yield start
    for popen in started:
        with_children = [popen.pid]
        try:
            with_children += [child.pid for child in
                              psutil.Process(popen.pid).children(True)]
        except psutil.NoSuchProcess:
            pass
        for pid in reversed(with_children):
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
        popen.wait(timeout=30)


def test_plain_kernel_is_the_launched_process(start_kernel):
    popen, connection, kernel = start_kernel(redirect=False)
    assert kernel == popen.pid
    assert find_kernel_pid(connection, popen.pid) == popen.pid
    assert find_kernel_pid(connection, None) == popen.pid
    assert process_start_time(kernel) == psutil.Process(kernel).create_time()


def test_redirected_kernel_is_the_deepest_match(start_kernel):
    popen, connection, kernel = start_kernel(redirect=True)
    # Both the redirector and its child carry the connection file.
    redirector = psutil.Process(popen.pid)
    assert [child.pid for child in redirector.children()] == [kernel]
    assert redirector.cmdline()[1:] == psutil.Process(kernel).cmdline()[1:]
    assert find_kernel_pid(connection, popen.pid) == kernel
    # A console connected to an existing kernel: no launcher pid.
    assert find_kernel_pid(connection, None) == kernel


def test_launcher_without_a_match_is_the_kernel(start_kernel):
    popen, _, _ = start_kernel(redirect=False)
    assert find_kernel_pid("kernel-nobody.json", popen.pid) == popen.pid
    assert find_kernel_pid("kernel-nobody.json", None) is None
