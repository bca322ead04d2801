"""The positional row layouts (logs/rows.py) and the code that spells them
as literals or builds rows in their order."""

import ast
import os
import pathlib

import pytest
from log_helpers import writers

from spyder_tblogs.logs import reader, rows
from spyder_tblogs.logs.discovery import discover_runs, iter_files
from spyder_tblogs.logs.file_state import (
    FileState, new_event_tag_state, new_tag_state,
)
from spyder_tblogs.logs.filenames import parse_event_file_name
from spyder_tblogs.logs.info import EventFileInfo, RunInfo, TagInfo
from spyder_tblogs.logs.state_store import StateStore, at_rest, rest_summary


def test_each_layout_names_its_positions_from_its_field_list():
    for prefix, fields in rows.LAYOUTS:
        assert len(set(fields)) == len(fields), fields
        rows.check_layout(vars(rows), prefix, fields)
    assert rows.RUN_FILES == len(rows.RUN_FIELDS)
    assert rows.DISCOVERED_FILE_FIELD_COUNT == len(rows.DISCOVERED_FILE_FIELDS)


def test_a_constant_out_of_step_with_its_layout_is_caught():
    with pytest.raises(AssertionError, match="REST_B is 0"):
        rows.check_layout({"REST_A": 0, "REST_B": 0}, "REST_", ("a", "b"))


def test_the_reader_literals_are_the_layout_positions():
    # A layout that moves a field without the reader's loop following fails
    # here: the loop spells these positions as literals.
    for name, literal in reader.TAG_STATE_LITERALS:
        assert name.lower() in rows.TAG_STATE_FIELDS, name
        assert getattr(rows, name) == literal, name
    for name, literal in reader.SERIES_LITERALS:
        assert name.lower() in rows.SERIES_FIELDS, name
        assert getattr(rows, name) == literal, name


def test_the_reader_indexes_tag_states_only_by_its_stated_literals():
    source = pathlib.Path(reader.__file__).read_text(encoding="utf-8")
    stated = {"tag_state": {literal for _, literal
                            in reader.TAG_STATE_LITERALS},
              "series": {literal for _, literal in reader.SERIES_LITERALS}}
    used = {"tag_state": set(), "series": set()}
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id in used):
            assert isinstance(node.slice, ast.Constant), ast.dump(node)
            used[node.value.id].add(node.slice.value)
    assert used["tag_state"] and used["series"]
    assert used["tag_state"] <= stated["tag_state"]
    assert used["series"] <= stated["series"]


def _scalar_value():
    from tensorboard.compat.proto import summary_pb2
    summary = summary_pb2.Summary()
    return summary.value.add(tag="loss", simple_value=1.0)


def test_new_tag_states_are_laid_out_as_the_layout_says():
    for tag_state, kind, mode, has_series in (
            (new_event_tag_state("graphs", 7, 70.0), "graphs", 0, False),
            (new_tag_state(_scalar_value(), 7, 70.0), "scalars", 1, True)):
        assert len(tag_state) == len(rows.TAG_STATE_FIELDS)
        for position in (rows.FIRST_STEP, rows.LAST_STEP, rows.MIN_STEP,
                         rows.MAX_STEP):
            assert tag_state[position] == 7
        assert tag_state[rows.LAST_WALL] == tag_state[rows.FIRST_WALL] == 70.0
        assert tag_state[rows.COUNT] == tag_state[rows.REGRESSIONS] == 0
        assert (tag_state[rows.KIND], tag_state[rows.MODE]) == (kind, mode)
        assert tag_state[rows.LAST_VALUE] is None
        assert tag_state[rows.MIN_VALUE] == float("inf")
        assert tag_state[rows.MAX_VALUE] == -float("inf")
        assert tag_state[rows.NONFINITE] is None
        series = tag_state[rows.SERIES]
        assert (series is not None) == has_series
        if has_series:
            assert len(series) == len(rows.SERIES_FIELDS)
            assert (series[rows.STRIDE], series[rows.SEEN],
                    len(series[rows.POINTS])) == (1, 0, 0)


def test_discovered_files_are_laid_out_as_the_layout_says(tmp_path):
    writers.write_tensorboard_events(str(tmp_path / "run"), steps=2)
    (values,) = discover_runs(str(tmp_path)).runs.values()
    (file,) = iter_files(values)
    assert len(file) == rows.DISCOVERED_FILE_FIELD_COUNT
    stat = os.stat(file[rows.FILE_PATH])
    assert file[rows.FILE_NAME] == os.path.basename(file[rows.FILE_PATH])
    assert file[rows.FILE_SIZE] == stat.st_size
    assert file[rows.FILE_MTIME] == stat.st_mtime
    assert (file[rows.FILE_DEVICE], file[rows.FILE_INODE]) == (
        stat.st_dev, stat.st_ino)


def test_a_resting_state_is_laid_out_as_the_layout_says(tmp_path):
    path = writers.write_tensorboard_events(str(tmp_path), steps=3)
    state = reader.read_event_file(FileState(path))
    state.identity = (11, 22)
    rest = at_rest(state)
    assert len(rest) == len(rows.REST_FIELDS)
    assert rest[:-1] == rest_summary(state)
    assert (rest[rows.REST_DEVICE], rest[rows.REST_INODE]) == (11, 22)
    for name, attribute in (
            ("path", "path"), ("size", "size"), ("mtime", "mtime"),
            ("offset", "offset"), ("size_read", "size_read"),
            ("events", "events"), ("corrupt", "corrupt_records"),
            ("undecodable", "undecodable_records"), ("error", "error"),
            ("error_offset", "error_offset"), ("error_bytes", "error_bytes"),
            ("last_change", "last_change")):
        position = rows.REST_FIELDS.index(name)
        assert rest[position] == getattr(state, attribute), name
    assert rest[rows.REST_MAY_GO_STALE] is False


def test_snapshot_rows_are_laid_out_as_the_layouts_say():
    assert tuple(item for item in EventFileInfo.__dataclass_fields__) == (
        rows.EVENT_FILE_FIELDS)
    assert tuple(item for item in TagInfo.__dataclass_fields__) == (
        rows.TAG_INFO_FIELDS)
    file = EventFileInfo(*range(len(rows.EVENT_FILE_FIELDS)))
    tag = TagInfo(*range(len(rows.TAG_INFO_FIELDS)))
    run = RunInfo("name", "/path", [file, file], {"t": tag}, ("d",), 5.0,
                  {"lr": 0.1})
    row = run.row
    assert row[:rows.RUN_FILES] == ("name", "/path", ("d",), 5.0,
                                    ("lr", 0.1), 2)
    files_end = rows.RUN_FILES + 2 * rows.EVENT_FILE_FIELD_COUNT
    assert row[rows.RUN_FILES:files_end] == 2 * tuple(
        range(len(rows.EVENT_FILE_FIELDS)))
    assert row[files_end:] == tuple(range(len(rows.TAG_INFO_FIELDS)))
    assert RunInfo.from_row(row) == run


def test_name_parts_are_kept_as_the_layout_says(tmp_path):
    writers.write_tensorboard_events(str(tmp_path / "run"), steps=1)
    discovery = discover_runs(str(tmp_path))
    store = StateStore(reader.bytes_at, check_tail=True)
    (path,), touched = store.match(discovery, 0.0)
    assert touched
    parts = parse_event_file_name(path)
    assert store.names[path] == tuple(getattr(parts, name)
                                      for name in rows.NAME_PART_FIELDS)
