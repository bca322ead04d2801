"""The demo's first minute in a real Spyder (offscreen): the pane in front,
no tour or other dialog, Spyder's configuration outside the project, quiet
output, and nothing left running afterwards.
"""

import json
import os
import pathlib
import subprocess
import sys

import psutil
import pytest

DEMO = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "demo.py"


def _below(pid_texts):
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
        except (psutil.Error, OSError):
            continue
        if any(text in cmdline for text in pid_texts):
            found.append(process)
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="offscreen Qt on Linux")
def test_demo_opens_on_the_pane_quietly(tmp_path):
    project = tmp_path / "demo-project"
    cache = tmp_path / "cache"
    report = tmp_path / "report.json"
    # QtWebEngine (Spyder's help) has no OpenGL offscreen and would abort;
    # Qt Quick's software backend avoids it.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               QT_QUICK_BACKEND="software", XDG_CACHE_HOME=str(cache))
    # A user's Spyder: with SPYDER_PYTEST it would not run its event loop.
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS",
                 "SPYDER_PYTEST"):
        env.pop(name, None)
    try:
        result = subprocess.run(
            [sys.executable, str(DEMO), str(project), "--check",
             str(report)], env=env, capture_output=True, text=True,
            timeout=400)
    finally:
        leftovers = _below([str(project), str(cache)])
        for process in leftovers:
            process.kill()
    assert leftovers == []
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(report.read_text())
    assert seen["pane_visible"], seen
    assert seen["dialogs"] == []
    # The demo quiets its own processes, not Spyder's (whose consoles
    # inherit its environment: the user's).
    assert seen["quiet_env"] == []
    # Spyder's configuration lives in the cache, not in the project.
    conf_dir = pathlib.Path(seen["conf_dir"])
    assert cache in conf_dir.parents
    assert not any(".spyder" in path.name for path in project.iterdir())
    # Three lines of its own; TensorFlow's and tensorboardX's stay out.
    output = result.stdout + result.stderr
    for noise in ("absl", "cpu_feature_guard", "oneDNN", "NaN or Inf"):
        assert noise not in output, output
    log = (conf_dir / "spyder-output.log").read_text()
    assert "Traceback" not in log, log
