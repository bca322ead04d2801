"""The export's own machinery: its scan against the index's reader, its
worker processes against the in-process export, and what a cancelled or
failed export leaves behind (nothing: no file, no part, no process).

That the rows equal TensorBoard's is in ``test_logs_compare.py``.
"""

import io
import os
import subprocess
import sys
import tempfile
import textwrap
from array import array

import numpy
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from log_helpers import event_files

from spyder_tblogs.logs import export, export_csv, reader_processes
from spyder_tblogs.logs.export import export_scalars
from spyder_tblogs.logs.export_scan import run_series
from spyder_tblogs.logs.records import frame_record


class Cancelled(Exception):
    pass


@pytest.fixture
def in_processes(monkeypatch):
    """Export through worker processes however little there is to read."""
    monkeypatch.setattr(export, "PARALLEL_MIN_BYTES", 0)


def _damage(logdir_copy):
    """Damage three files of the copy the ways a disk or a writer can."""
    files = event_files(logdir_copy)
    with open(files[0], "r+b") as stream:      # a record's data: skipped
        stream.seek(os.path.getsize(files[0]) // 2)
        byte = stream.read(1)
        stream.seek(-1, os.SEEK_CUR)
        stream.write(bytes([byte[0] ^ 0xFF]))
    with open(files[1], "r+b") as stream:      # cut in a record: ends there
        stream.truncate(os.path.getsize(files[1]) - 7)
    with open(files[2], "ab") as stream:       # bytes that are not an event
        stream.write(frame_record(b"\x01\x02not an event"))
    return files


def _parts_in(folder):
    return {name for name in os.listdir(folder)
            if name.startswith(".tblogs-export-")}


def _children():
    return psutil.Process().children(recursive=True)


def test_the_scan_keeps_the_points_the_reader_keeps(logdir_copy):
    files = _damage(logdir_copy)
    by_run = {}
    for path in files:
        by_run.setdefault(os.path.dirname(path), []).append(path)
    for paths in by_run.values():
        states = export._read({path: os.path.getsize(path) for path in paths},
                              0, 1, None)
        assert run_series(paths) == export._run_series(paths, states)


def test_workers_write_what_the_export_writes_in_process(
        logdir_copy, tmp_path, in_processes):
    _damage(logdir_copy)
    (tmp_path / "out").mkdir()
    here, there = tmp_path / "out" / "here.csv", tmp_path / "out" / "there.csv"
    count = export_scalars(logdir_copy, str(here), workers=1)
    assert export_scalars(logdir_copy, str(there), workers=2) == count > 0
    assert here.read_bytes() == there.read_bytes()
    assert sorted(os.listdir(tmp_path / "out")) == ["here.csv", "there.csv"]
    # A stream's part files go to the temporary directory, and go.
    before = _parts_in(tempfile.gettempdir())
    stream = io.StringIO(newline="")
    assert export_scalars(logdir_copy, stream, workers=2) == count
    assert stream.getvalue().encode("utf-8") == here.read_bytes()
    assert _parts_in(tempfile.gettempdir()) == before


def test_progress_reaches_the_total_in_steps(mixed_logdir, tmp_path,
                                             in_processes):
    reports = []
    export_scalars(mixed_logdir, str(tmp_path / "out.csv"), workers=2,
                   progress=lambda done, total: reports.append((done, total)))
    assert len(reports) > 1
    assert [done for done, _ in reports] == sorted(
        done for done, _ in reports)
    assert reports[-1][0] == reports[-1][1] > 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_cancelled_export_leaves_nothing_behind(mixed_logdir, tmp_path,
                                                  in_processes, workers):
    output = tmp_path / "out" / "points.csv"
    output.parent.mkdir()

    def cancel(done, total):
        raise Cancelled

    with pytest.raises(Cancelled):
        export_scalars(mixed_logdir, str(output), workers=workers,
                       progress=cancel)
    assert os.listdir(output.parent) == []
    assert _children() == []


_DYING_WORKER = """
import os
from spyder_tblogs.logs import export_workers

_write_run = export_workers.write_run
_runs = []


def write_run(*args):
    if _runs:           # its second run: die as a crash would
        os._exit(3)
    _runs.append(args)
    return _write_run(*args)


export_workers.write_run = write_run
main = export_workers.main
"""


@pytest.mark.parametrize("how", ["at once", "after a run", "never started"])
def test_the_runs_a_dead_worker_leaves_are_exported_in_process(
        mixed_logdir, tmp_path, in_processes, monkeypatch, how):
    expected = tmp_path / "expected.csv"
    count = export_scalars(mixed_logdir, str(expected), workers=1)
    started = reader_processes.start_worker
    if how == "at once":        # it cannot import its module
        monkeypatch.setattr(reader_processes, "start_worker",
                            lambda module: started(module + "_missing"))
    elif how == "after a run":
        (tmp_path / "dying_worker.py").write_text(_DYING_WORKER)
        monkeypatch.setenv("PYTHONPATH", str(tmp_path))
        monkeypatch.setattr(reader_processes, "start_worker",
                            lambda module: started("dying_worker"))
    else:
        def cannot_start(module):
            raise OSError("no more processes")
        monkeypatch.setattr(reader_processes, "start_worker", cannot_start)
    (tmp_path / "out").mkdir()
    output = tmp_path / "out" / "points.csv"
    assert export_scalars(mixed_logdir, str(output), workers=2) == count
    assert output.read_bytes() == expected.read_bytes()
    assert os.listdir(tmp_path / "out") == ["points.csv"]
    assert _children() == []


def test_workers_never_import_the_callers_main(mixed_logdir, tmp_path):
    """A script without a ``__main__`` guard, under the ``spawn`` start
    method (Windows' and macOS' default): were the workers spawned by
    ``multiprocessing``, each would run the export again."""
    script = tmp_path / "unguarded.py"
    output = tmp_path / "points.csv"
    script.write_text(textwrap.dedent("""
        import multiprocessing
        import sys
        from spyder_tblogs.logs import export

        multiprocessing.set_start_method("spawn")
        export.PARALLEL_MIN_BYTES = 0
        print(export.export_scalars(sys.argv[1], sys.argv[2], workers=2))
    """))
    result = subprocess.run(
        [sys.executable, str(script), mixed_logdir, str(output)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    expected = tmp_path / "expected.csv"
    count = export_scalars(mixed_logdir, str(expected), workers=1)
    assert result.stdout.split() == [str(count)]
    assert output.read_bytes() == expected.read_bytes()


@pytest.mark.parametrize("with_orjson", [True, False])
def test_rows_spell_numbers_as_repr_does(monkeypatch, with_orjson):
    assert export_csv._DUMPS is not None      # orjson passed its self-check
    if not with_orjson:
        monkeypatch.setattr(export_csv, "_DUMPS", None)
    numbers = [0.1, 1e-05, 9.99e-05, 1e-4, 2.5e-07, 1e-10, 1e+16, -0.0,
               5e-324, 1700000000.05, float("nan"), float("inf"),
               -float("inf"), 1 / 3]
    points = array("d")
    for step, number in enumerate(numbers):
        points.extend((step - 3, 1e-05 * step + 1e9, number))
    points.extend((2**52, 0.5, 2.0))
    run, tag = 'run "a", b', "acc_%d%%"
    data = b"".join(export_csv.csv_chunks(run, {tag: [points]}))
    expected = "".join('"run ""a"", b",acc_%%d%%%%,%d,%r,%r\n' % tuple(
        points[index:index + 3]) for index in range(0, len(points), 3))
    assert data.decode("utf-8") == expected


_DOUBLES = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=200, deadline=None, database=None)
@given(rows=st.lists(st.tuples(
    st.integers(-2**53, 2**53), _DOUBLES,
    # Values: doubles, and float32 values as summaries hold them.
    st.one_of(_DOUBLES, st.floats(width=32))),
    min_size=1, max_size=50))
def test_orjson_rows_equal_repr_rows(rows):
    block = numpy.array(rows, dtype=float).reshape(-1, 3)
    prefix = "r\u00e9,t,".encode("utf-8")
    assert (export_csv._rows_with(export_csv._DUMPS, prefix, block)
            == export_csv._rows_with(None, prefix, block))


def test_a_users_file_named_like_the_temporary_one_is_kept(mixed_logdir,
                                                          tmp_path):
    output = tmp_path / "points.csv"
    theirs = tmp_path / "points.csv.partial"
    theirs.write_bytes(b"the user's own notes")
    assert export_scalars(mixed_logdir, str(output)) > 0

    def cancel(done, total):
        raise Cancelled()

    with pytest.raises(Cancelled):
        export_scalars(mixed_logdir, str(tmp_path / "other.csv"),
                       progress=cancel)
    assert theirs.read_bytes() == b"the user's own notes"
    assert sorted(os.listdir(tmp_path)) == ["points.csv",
                                            "points.csv.partial"]


def test_a_missing_output_folder_is_a_message(mixed_logdir, tmp_path):
    with pytest.raises(export.ExportError,
                       match="cannot write .*nowhere.*points.csv"):
        export_scalars(mixed_logdir, str(tmp_path / "nowhere" / "points.csv"))
    assert os.listdir(tmp_path) == []
