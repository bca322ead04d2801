"""Set up .venv if needed, then run the test suite: scripts/test.sh and
scripts/bootstrap.sh in Python, for Windows (no bash there) and POSIX.

    python scripts/test.py                     # the whole suite
    python scripts/test.py tests/logs -x       # extra arguments go to pytest
    python scripts/test.py -p no:cacheprovider # what .ci/run runs
    python scripts/test.py --dry-run ...       # print the commands only

The environment is made with ``$PYTHON`` if set, else the interpreter
running this script, and reinstalled only when setup.py is newer than its
stamp, as bootstrap.sh does (tests/test_packaging.py checks they agree).
"""

import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = ".venv"
#: Touched after an install; setup.py newer than it means reinstall.
STAMP = os.path.join(VENV, ".spyder-tblogs-installed")
INSTALL_TARGET = ".[test]"


def venv_python(windows=os.name == "nt"):
    """The virtual environment's interpreter, relative to the project."""
    if windows:
        return os.path.join(VENV, "Scripts", "python.exe")
    return os.path.join(VENV, "bin", "python")


def needs_install(root):
    """Whether the stamp is missing or older than setup.py."""
    stamp = os.path.join(root, STAMP)
    if not os.path.isfile(stamp):
        return True
    return os.path.getmtime(os.path.join(root, "setup.py")) > \
        os.path.getmtime(stamp)


def bootstrap_commands(root, base_python):
    """The commands bootstrap.sh would run in ``root`` now, in order."""
    python = venv_python()
    commands = []
    if not os.path.isfile(os.path.join(root, python)):
        commands.append([base_python, "-m", "venv", VENV])
    if needs_install(root):
        commands += [
            [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
            [python, "-m", "pip", "install", "--quiet", "-e",
             INSTALL_TARGET],
            [python, "-m", "pip", "check"],
        ]
    return commands


def pytest_command(args):
    return [venv_python(), "-m", "pytest", *args]


def show(command):
    if os.name == "nt":
        return subprocess.list2cmdline(command)
    return shlex.join(command)


def main(argv):
    dry_run = bool(argv) and argv[0] == "--dry-run"
    args = argv[1:] if dry_run else argv
    # Relative paths from here on: Windows resolves a relative executable
    # against our directory, not a child's cwd.
    os.chdir(ROOT)
    base_python = os.environ.get("PYTHON") or sys.executable
    install = needs_install(ROOT)
    commands = bootstrap_commands(ROOT, base_python)
    if dry_run:
        for command in commands + [pytest_command(args)]:
            print(show(command))
        return 0
    for command in commands:
        subprocess.run(command, check=True)
    if install:
        with open(STAMP, "a"):
            pass
        os.utime(STAMP)
    # Not os.execv: on Windows it returns at once and leaves pytest running.
    return subprocess.call(pytest_command(args))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as error:
        sys.exit(f"{show(error.cmd)} failed (exit code {error.returncode})")
