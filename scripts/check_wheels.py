"""Check that every requirement resolves to a binary wheel on every platform.

Reads the requirement lists of setup.py (INSTALL_REQUIRES, EXTRAS,
TEST_REQUIRES) as literals, without running it, evaluates each
requirement's environment marker for each platform and Python version, and
asks pip for a wheel of what applies there, binaries only, without
dependencies::

    python scripts/check_wheels.py                 # resolve only (fast)
    python scripts/check_wheels.py --download      # fetch every wheel

``--download`` runs ``pip download --only-binary=:all: --platform P
--python-version V --no-deps -d TMP``, as an installer would fetch them
(TensorFlow's wheels make that several GB over all platforms); the default
asks ``pip install --dry-run`` with the same options, which picks the same
wheel from the index's metadata without downloading it. Either way nothing
is installed, and the temporary directory is removed.

Prints a table (the version chosen, or MISS) and exits 1 if a requirement
has no wheel somewhere, 2 on bad usage. It needs the network, so it is not
part of the test suite. Only the listed requirements are checked, not their
own dependencies (``--no-deps``).
"""

import argparse
import ast
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

HERE = os.path.dirname(os.path.abspath(__file__))
SETUP_PY = os.path.join(os.path.dirname(HERE), "setup.py")

#: The platforms checked by default. macOS 12 is the oldest release
#: TensorFlow's arm64 wheels and pyarrow's Python 3.13 wheels support (pip
#: accepts wheels tagged for that macOS release or older, as a Mac running
#: it would); glibc 2.28 (RHEL 8, Debian 10, Ubuntu 20.04) and older
#: manylinux tags, as pip on such a Linux would.
PLATFORMS = ("win_amd64", "macosx_12_0_arm64", "macosx_12_0_x86_64",
             "manylinux_2_28_x86_64")

_WINDOWS = {"sys_platform": "win32", "platform_system": "Windows",
            "os_name": "nt", "platform_machine": "AMD64"}
_MACOS = {"sys_platform": "darwin", "platform_system": "Darwin",
          "os_name": "posix"}
_LINUX = {"sys_platform": "linux", "platform_system": "Linux",
          "os_name": "posix"}
_MANYLINUX = re.compile(r"manylinux_2_(\d+)_(\w+)")
# The legacy names of manylinux_2_17, 2_12 and 2_5.
_MANYLINUX_ALIASES = {17: "manylinux2014", 12: "manylinux2010",
                      5: "manylinux1"}
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
LISTS = ("INSTALL_REQUIRES", "EXTRAS", "TEST_REQUIRES")

_MISSING = re.compile(
    r"No matching distribution found for ([^\s]+)", re.IGNORECASE)


def read_requirements(path):
    """Return ``[(list name, Requirement), ...]`` from setup.py's literals.

    Raises
    ------
    ValueError
        If a list is missing, not a literal, or holds a bad requirement.
    """
    with open(path, encoding="utf-8") as stream:
        tree = ast.parse(stream.read(), path)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id in LISTS:
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise ValueError(f"{node.targets[0].id} in {path} is not a "
                                 f"literal") from None
    requirements = []
    for name in LISTS:
        if name not in found:
            raise ValueError(f"{path} has no {name}")
        value = found[name]
        items = [(f"{name}[{extra}]", text) for extra, texts in value.items()
                 for text in texts] if isinstance(value, dict) else \
            [(name, text) for text in value]
        for where, text in items:
            try:
                requirements.append((where, Requirement(text)))
            except InvalidRequirement as error:
                raise ValueError(f"{where}: {error}") from None
    return requirements


def environment(platform, python):
    """Marker variables of CPython ``python`` on ``platform``."""
    env = default_environment()
    if platform.startswith("win"):
        env.update(_WINDOWS)
    elif platform.startswith("macosx"):
        env.update(_MACOS, platform_machine=platform.split("_", 3)[-1])
    else:
        env.update(_LINUX, platform_machine=_linux_machine(platform))
    env.update(python_version=python, python_full_version=python + ".0",
               implementation_name="cpython",
               platform_python_implementation="CPython")
    return env


def _linux_machine(tag):
    for machine in ("x86_64", "aarch64", "i686", "ppc64le", "s390x"):
        if tag.endswith(machine):
            return machine
    return tag.rsplit("_", 1)[-1]


def pip_platforms(tag):
    """The ``--platform`` values pip needs to accept what a machine of
    ``tag`` accepts: pip widens a macOS tag to older releases itself, not a
    ``manylinux_2_N`` one (a glibc 2.N system takes every older one)."""
    match = _MANYLINUX.fullmatch(tag)
    if not match:
        return [tag]
    newest, machine = int(match.group(1)), match.group(2)
    tags = []
    for minor in range(newest, 4, -1):
        tags.append(f"manylinux_2_{minor}_{machine}")
        if minor in _MANYLINUX_ALIASES:
            tags.append(f"{_MANYLINUX_ALIASES[minor]}_{machine}")
    return tags


def applicable(requirements, platform, python):
    """The requirements whose marker holds on ``platform``/``python``."""
    env = environment(platform, python)
    kept = []
    for where, requirement in requirements:
        if requirement.marker is None or \
                requirement.marker.evaluate(dict(env, extra="")):
            kept.append((where, requirement))
    return kept


def _pip_command(pip, platform, python, workdir, download):
    platforms = [flag for tag in pip_platforms(platform)
                 for flag in ("--platform", tag)]
    common = ["--no-deps", "--only-binary=:all:", *platforms,
              "--python-version", python, "--implementation", "cp",
              "--quiet", "--disable-pip-version-check"]
    if download:
        return [*pip, "download", *common, "-d", workdir]
    return [*pip, "install", "--dry-run", "--ignore-installed", "--report",
            "-", "--target", workdir, *common]


def _without_marker(requirement):
    text = str(requirement)
    return text.split(";", 1)[0].strip()


def check(pip, platform, python, requirements, download, timeout):
    """Return ``{requirement text: version or None}`` for one platform and
    Python version (None: no wheel)."""
    results = {}
    pending = [_without_marker(req) for _, req in
               applicable(requirements, platform, python)]
    while pending:
        workdir = tempfile.mkdtemp(prefix="check-wheels-")
        try:
            completed = subprocess.run(
                _pip_command(pip, platform, python, workdir, download)
                + pending, stdin=subprocess.DEVNULL, capture_output=True,
                text=True, timeout=timeout)
            if completed.returncode == 0:
                versions = _versions(completed.stdout, workdir, download)
                for text in pending:
                    name = Requirement(text).name
                    results[text] = versions.get(_canonical(name), "?")
                return results
            missing = _MISSING.search(completed.stderr)
            if not missing:
                raise RuntimeError(
                    f"pip failed on {platform} / Python {python}: "
                    f"{completed.stderr.strip()[-500:]}")
            culprit = _match_pending(missing.group(1), pending)
            results[culprit] = None
            pending.remove(culprit)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _match_pending(reported, pending):
    """The pending requirement pip named in its error."""
    name = _canonical(re.split(r"[\s<>=!~\[;]", reported, 1)[0])
    for text in pending:
        if _canonical(Requirement(text).name) == name:
            return text
    raise RuntimeError(f"pip reported a miss for {reported}, which is not "
                       f"one of the requirements")


def _versions(stdout, workdir, download):
    """``{canonical name: version}`` of what pip picked."""
    found = {}
    if download:
        for name in os.listdir(workdir):
            if name.endswith(".whl"):
                project, version = name.split("-")[:2]
                found[_canonical(project)] = version
        return found
    report = json.loads(stdout)
    for item in report.get("install", []):
        metadata = item.get("metadata", {})
        found[_canonical(metadata.get("name", ""))] = metadata.get("version")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Check that setup.py's requirements have binary wheels "
                    "on every platform and Python version.")
    parser.add_argument("--setup", default=SETUP_PY,
                        help="setup.py to read (default: this checkout's)")
    parser.add_argument("--platform", action="append", metavar="TAG",
                        help="platform tag (repeatable; default: "
                             + ", ".join(PLATFORMS) + ")")
    parser.add_argument("--python", action="append", metavar="X.Y",
                        help="Python version (repeatable; default: "
                             + ", ".join(PYTHONS) + ")")
    parser.add_argument("--download", action="store_true",
                        help="download every wheel (pip download) instead of "
                             "resolving without downloading")
    parser.add_argument("--jobs", type=int, default=4,
                        help="pip processes at once (default: 4)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds for one pip run (default: 900)")
    args = parser.parse_args(argv)
    platforms = args.platform or list(PLATFORMS)
    pythons = args.python or list(PYTHONS)
    for python in pythons:
        if not re.fullmatch(r"3\.\d+", python):
            parser.error(f"not a Python version: {python}")
    try:
        requirements = read_requirements(args.setup)
    except (OSError, SyntaxError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pip = [sys.executable, "-m", "pip"]
    combos = [(platform, python) for platform in platforms
              for python in pythons]
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {combo: pool.submit(check, pip, *combo, requirements,
                                      args.download, args.timeout)
                   for combo in combos}
        try:
            results = {combo: future.result()
                       for combo, future in futures.items()}
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return _print_table(requirements, combos, results)


def _print_table(requirements, combos, results):
    """One table per platform: a row per requirement, a column per Python
    (the version pip picked, MISS, or n/a where the marker excludes it)."""
    misses = []
    platforms = list(dict.fromkeys(platform for platform, _ in combos))
    pythons = list(dict.fromkeys(python for _, python in combos))
    for platform in platforms:
        rows = []
        for where, requirement in requirements:
            text = _without_marker(requirement)
            cells = []
            for python in pythons:
                result = results[platform, python]
                if text not in result:
                    cells.append("n/a")
                elif result[text] is None:
                    cells.append("MISS")
                    misses.append((text, platform, python))
                else:
                    cells.append(result[text])
            rows.append([str(requirement), where] + cells)
        header = [platform, "list"] + [f"py{python}" for python in pythons]
        widths = [max(len(row[index]) for row in rows + [header])
                  for index in range(len(header))]
        for row in [header] + rows:
            print("  ".join(cell.ljust(width)
                            for cell, width in zip(row, widths)).rstrip())
        print()
    if misses:
        print(f"{len(misses)} miss(es):")
        for text, platform, python in misses:
            print(f"  {text}: no wheel for {platform}, Python {python}")
        return 1
    print("every requirement has a wheel on every platform")
    return 0


if __name__ == "__main__":
    sys.exit(main())
