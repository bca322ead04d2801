"""Packaging and layering checks: the conda recipe agrees with setup.py, the
entry point names the plugin, and the lower floors stay free of the upper ones."""

import ast
import importlib.util
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import jinja2
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spyder_tblogs"


def setup_py_literals():
    """Return the literal assignments of setup.py (INSTALL_REQUIRES, ...)."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    literals = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    literals[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return literals


def setup_py_keywords():
    """Return the literal keyword arguments of the setup() call."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup"):
            keywords = {}
            for keyword in node.keywords:
                try:
                    keywords[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    pass
            return keywords
    raise AssertionError("setup.py has no setup() call")


def package_version():
    text = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def render_recipe():
    """Render meta.yaml the way conda-build does, for the parts it uses."""

    def load_file_regex(load_file, regex_pattern, from_recipe_dir=False):
        base = ROOT / "conda-recipe" if from_recipe_dir else ROOT
        text = (base / load_file).read_text(encoding="utf-8")
        return re.search(regex_pattern, text, re.M)

    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    template = env.from_string(
        (ROOT / "conda-recipe" / "meta.yaml").read_text(encoding="utf-8"))
    rendered = template.render(load_file_regex=load_file_regex,
                               PYTHON="python")
    return yaml.safe_load(rendered)


def normalise(requirement):
    """'spyder>=6.1,<6.2' and 'spyder >=6.1,<6.2' -> ('spyder', '>=6.1,<6.2')."""
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_recipe_name_and_version_match_the_package():
    recipe = render_recipe()
    keywords = setup_py_keywords()
    assert recipe["package"]["name"] == "spyder-tblogs"
    assert recipe["package"]["version"] == package_version()
    assert keywords["name"] == recipe["package"]["name"]


def test_recipe_run_requirements_match_setup_py():
    recipe = render_recipe()
    literals = setup_py_literals()
    run = dict(normalise(r) for r in recipe["requirements"]["run"])
    python_spec = run.pop("python")
    assert python_spec == setup_py_keywords()["python_requires"]
    assert run == dict(normalise(r) for r in literals["INSTALL_REQUIRES"])


def test_recipe_lists_the_optional_packages_of_setup_py():
    # The recipe names them in a comment (conda has no extras).
    text = (ROOT / "conda-recipe" / "meta.yaml").read_text(encoding="utf-8")
    listed = {normalise(part.strip()) for line in re.findall(
        r"^  #   .*?  +(\S.*)$", text, re.M) for part in line.split(",")}
    extras = {normalise(requirement)
              for requirements in setup_py_literals()["EXTRAS"].values()
              for requirement in requirements}
    assert listed == extras


def test_recipe_is_noarch_pip_install_with_import_tests():
    recipe = render_recipe()
    assert recipe["build"]["noarch"] == "python"
    assert "pip install . --no-deps" in recipe["build"]["script"]
    assert "spyder_tblogs.logs" in recipe["test"]["imports"]
    entry_points = setup_py_keywords()["entry_points"]
    assert recipe["build"]["entry_points"] == entry_points["console_scripts"]


def test_plugin_entry_point_name_is_the_plugin_name():
    entry_points = setup_py_keywords()["entry_points"]["spyder.plugins"]
    assert len(entry_points) == 1
    name, target = (part.strip() for part in entry_points[0].split("="))
    module_name, class_name = target.split(":")
    code = (f"import json, {module_name} as m; "
            f"print(json.dumps(m.{class_name}.NAME))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == name


# Which top-level modules each floor may not import, directly or through
# anything it imports.
FORBIDDEN = {
    "logs": ("spyder_tblogs.tensorboard", "spyder_tblogs.spyder", "spyder",
             "qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "tensorflow"),
    "tensorboard": ("spyder_tblogs.spyder", "spyder", "qtpy", "PyQt5",
                    "PyQt6", "PySide2", "PySide6", "tensorflow"),
}


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_lower_floors_do_not_import_upper_ones_in_source(floor):
    offenders = []
    for path in sorted((PACKAGE / floor).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif isinstance(node, ast.ImportFrom) and node.level >= 2:
                # "from ..spyder import x" climbs out of the floor.
                names = ["spyder_tblogs." + (node.module or "")]
            for name in names:
                for forbidden in FORBIDDEN[floor]:
                    if name == forbidden or name.startswith(forbidden + "."):
                        offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_lower_floors_import_alone(floor):
    code = (
        "import json, sys\n"
        f"import spyder_tblogs.{floor}\n"
        "import pkgutil, importlib\n"
        f"for info in pkgutil.walk_packages(spyder_tblogs.{floor}.__path__, "
        f"'spyder_tblogs.{floor}.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    leaked = [m for m in loaded for forbidden in FORBIDDEN[floor]
              if m == forbidden or m.startswith(forbidden + ".")]
    assert leaked == []


def bootstrap_sh_commands(base_python):
    """The commands scripts/bootstrap.sh runs on a fresh clone, in order."""
    commands = []
    for line in (ROOT / "scripts" / "bootstrap.sh").read_text().splitlines():
        words = shlex.split(line.strip(), comments=True)
        if words[:1] in (["$python"], [".venv/bin/python"]):
            commands.append([base_python if word == "$python" else word
                             for word in words])
    return commands


def dry_run(root, *args):
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "test.py"), "--dry-run",
         *args], env={**os.environ, "PYTHON": "/base/python3"},
        capture_output=True, text=True, check=True)
    return [shlex.split(line) for line in result.stdout.splitlines()]


def test_python_test_script_does_what_the_bash_scripts_do(tmp_path):
    """scripts/test.py (for Windows) agrees with bootstrap.sh and test.sh:
    same venv, install target, stamp rule and pytest call (dry runs in a
    copy of the project, nothing installed)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test.py", tmp_path / "scripts")
    (tmp_path / "setup.py").write_text("")
    bootstrap = bootstrap_sh_commands("/base/python3")
    assert [".venv/bin/python", "-m", "pip", "install", "--quiet", "-e",
            ".[test]"] in bootstrap
    test_sh = (ROOT / "scripts" / "test.sh").read_text()
    assert 'exec .venv/bin/python -m pytest "$@"' in test_sh
    pytest_call = [".venv/bin/python", "-m", "pytest", "tests/logs", "-x"]

    # A fresh clone: venv, install, then pytest with the arguments given.
    assert dry_run(tmp_path, "tests/logs", "-x") == bootstrap + [pytest_call]
    # Installed (the stamp is newer than setup.py): only pytest.
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    stamp = tmp_path / ".venv" / ".spyder-tblogs-installed"
    assert "stamp=.venv/.spyder-tblogs-installed" in \
        (ROOT / "scripts" / "bootstrap.sh").read_text()
    stamp.write_text("")
    os.utime(tmp_path / "setup.py", (1e9, 1e9))
    assert dry_run(tmp_path, "tests/logs", "-x") == [pytest_call]
    # setup.py changed since: reinstall into the existing venv.
    os.utime(stamp, (1e9 - 1, 1e9 - 1))
    assert dry_run(tmp_path, "tests/logs", "-x") == bootstrap[1:] + \
        [pytest_call]


def test_python_test_script_finds_the_windows_venv_interpreter():
    spec = importlib.util.spec_from_file_location(
        "test_script", ROOT / "scripts" / "test.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.venv_python(windows=True) == os.path.join(
        ".venv", "Scripts", "python.exe")
    assert script.venv_python(windows=False) == os.path.join(
        ".venv", "bin", "python")
