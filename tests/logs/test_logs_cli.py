"""``python -m spyder_tblogs scan``, run as a real subprocess."""

import json
import subprocess
import sys

from log_helpers import ODD_RUN

from spyder_tblogs.logs import LogIndex


def _scan(*args):
    return subprocess.run([sys.executable, "-m", "spyder_tblogs", "scan"]
                          + [str(arg) for arg in args],
                          capture_output=True, text=True, timeout=120)


def test_scan_prints_a_readable_tree(mixed_logdir):
    result = _scan(mixed_logdir)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    for run in index.runs():
        assert "run %s " % run.name in out
        for info in run.files:
            assert "file %s" % info.name in out
        for tag in run.tags:
            assert "    %s  (" % tag in out
    assert "  scalars:" in out and "  histograms:" in out
    assert "[info] hparams-subrun:" in out
    assert ODD_RUN in out


def test_scan_json_is_the_index(mixed_logdir):
    result = _scan(mixed_logdir, "--json")
    assert result.returncode == 0, result.stderr
    index = LogIndex(mixed_logdir, workers=1)
    index.refresh()
    assert json.loads(result.stdout) == json.loads(json.dumps(index.to_dict()))
    assert ODD_RUN in {run["name"] for run in json.loads(result.stdout)["runs"]}


def test_scan_missing_or_not_a_directory(tmp_path):
    for target in (tmp_path / "missing", __file__):
        result = _scan(target)
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(target) in lines[0]
        assert "Traceback" not in result.stderr


def test_scan_empty_directory(tmp_path):
    result = _scan(tmp_path, "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"logdir": str(tmp_path), "runs": []}
    result = _scan(tmp_path)
    assert "no runs" in result.stdout
