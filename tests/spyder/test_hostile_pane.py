"""Hostile and unlucky logs in the pane: every run listed, each problem a
diagnostic on its own run, no file changed, the refresh thread never stuck."""

import os
import struct

import pytest
from qtpy.QtCore import Qt

from logwriters import write_run
from spyder_tblogs.logs import LogIndex
from spyder_tblogs.logs.records import masked_crc32c, read_records
from spyder_tblogs.spyder.models import Column

WAIT_MS = 20000

pytestmark = pytest.mark.filterwarnings(
    "ignore:There already exists a reference:UserWarning")


def _header(length):
    packed = struct.pack("<Q", length)
    return packed + struct.pack("<I", masked_crc32c(packed))


def _bytes_under(root):
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as stream:
                    found[path] = stream.read()
    return found


def test_hostile_logs_are_diagnosed_in_the_pane(qtbot, pane, tmp_path):
    logs = tmp_path / "project" / "logs"
    write_run(str(logs / "intact"), steps=6)
    forged = write_run(str(logs / "forged"), steps=6)
    with open(forged, "rb") as stream:
        data = stream.read()
    cut = read_records(forged)[3][0]
    with open(forged, "wb") as stream:      # 2**63 bytes, checksum valid
        stream.write(data[:cut] + _header(2**63 - 1) + data[cut:])
    write_run(str(logs / "evil\x1b[31mname"), steps=3)
    if hasattr(os, "mkfifo"):
        fifo_run = logs / "fifo"
        fifo_run.mkdir()
        os.mkfifo(str(fifo_run / "events.out.tfevents.1.host"))
    before = _bytes_under(str(tmp_path))

    pane.set_project(str(tmp_path / "project"))
    qtbot.waitUntil(lambda: pane.is_idle() and len(
        list(pane.model.iter_runs())) == 3, timeout=WAIT_MS)
    runs = {node.run_name: node for node in pane.model.iter_runs()}
    assert set(runs) == {"intact", "forged", "evil\x1b[31mname"}
    expected = LogIndex(str(logs))
    expected.refresh()
    forged_node = runs["forged"]
    assert forged_node.diagnostics == expected.run("forged").diagnostics
    assert [item.code for item in forged_node.diagnostics] == [
        "corrupt-record"]
    tooltip = pane.model.index_for_node(forged_node, Column.Status).data(
        Qt.ToolTipRole)
    assert "more than any writer can produce" in tooltip
    assert runs["intact"].diagnostics == ()
    # Still refreshing: a new run appears although the FIFO is there.
    write_run(str(logs / "later"), steps=2)
    pane.refresh()
    qtbot.waitUntil(lambda: pane.is_idle() and any(
        node.run_name == "later" for node in pane.model.iter_runs()),
        timeout=WAIT_MS)
    after = _bytes_under(str(tmp_path))
    assert {path: after[path] for path in before} == before
