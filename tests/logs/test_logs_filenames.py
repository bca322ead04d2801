"""Event-file names as real writers produce them."""

import os
import socket

from log_helpers import event_files, writers

from spyder_tblogs.logs import parse_event_file_name
from spyder_tblogs.logs.filenames import is_event_file_name


def test_tensorboard_writer_name_has_host_pid_and_counter(tmp_path):
    path = writers.write_tensorboard_events(str(tmp_path), steps=1)
    parts = parse_event_file_name(os.path.basename(path))
    assert parts.host == socket.gethostname()
    assert parts.pid == os.getpid()
    assert parts.suffix is not None and parts.suffix.isdigit()
    assert abs(parts.created - os.path.getmtime(path)) < 60


def test_tensorboardx_name_has_no_pid(tmp_path):
    writers.write_tensorboardx_events(str(tmp_path), steps=1, hparams=False)
    (path,) = event_files(str(tmp_path))
    parts = parse_event_file_name(path)
    assert parts.host == socket.gethostname()
    assert parts.pid is None and parts.suffix is None
    assert abs(parts.created - os.path.getmtime(path)) < 60


def test_tensorflow_v2_names(mixed_logdir):
    paths = event_files(os.path.join(mixed_logdir, "tf"))
    assert paths
    for path in paths:
        parts = parse_event_file_name(path)
        assert parts.host == socket.gethostname()
        assert parts.pid is not None and parts.pid != os.getpid()
        assert parts.suffix.endswith("v2")


def test_dotted_host_and_missing_parts():
    parts = parse_event_file_name(
        "events.out.tfevents.1700000000.node1.cluster.local.4242.7.v2")
    assert (parts.created, parts.host, parts.pid, parts.suffix) == (
        1700000000.0, "node1.cluster.local", 4242, "7.v2")
    parts = parse_event_file_name("events.out.tfevents.1700000000.gpu.box.lan")
    assert (parts.host, parts.pid, parts.suffix) == ("gpu.box.lan", None, None)
    parts = parse_event_file_name("events.out.tfevents.1700000000.host.v2")
    assert (parts.host, parts.pid, parts.suffix) == ("host", None, "v2")
    parts = parse_event_file_name("/some/dir/events.out.tfevents.1700000000")
    assert (parts.created, parts.host, parts.pid) == (1700000000.0, None, None)
    parts = parse_event_file_name("notes.tfevents.txt")
    assert parts == type(parts)(None, None, None, None)


def test_event_file_name_filter_matches_tensorboard():
    assert is_event_file_name("events.out.tfevents.1.host")
    assert is_event_file_name("my.tfevents.file")
    assert not is_event_file_name("events.out.tfevents.1.host.profile-empty")
    assert not is_event_file_name("checkpoint")
