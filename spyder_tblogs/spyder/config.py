"""Configuration of the TensorBoard Logs plugin: its section and defaults.

Every default lives here; the pane, its panels and the preferences page read
options with ``get_conf(option)`` and get these values when the user has not
changed them.
"""

import sys

from spyder_tblogs.spyder.api import InterpreterMode, OpenTarget

CONF_SECTION = "tblogs"

# TensorBoard listens on loopback unless the user chooses otherwise (the
# preferences then warn that the logs become visible on the network).
DEFAULT_HOST = "127.0.0.1"


def watches_by_default(platform=sys.platform):
    """Whether log files are watched (not only polled) unless the user says.

    Not on Windows: watching opens a handle on every watched root, and while
    Spyder holds it the user's script cannot delete and re-create its log
    directory (``shutil.rmtree(logs)`` then ``makedirs`` fails with access
    denied). Polling reads the same files without keeping anything open.
    """
    return platform != "win32"


CONF_DEFAULTS = [
    (CONF_SECTION, {
        "interpreter_mode": InterpreterMode.Automatic,
        "interpreter_path": "",
        "host": DEFAULT_HOST,
        "port_auto": True,
        "port": 6006,
        "extra_args": "",
        "reload_interval": 5,
        # "Load TensorFlow in TensorBoard": a TensorFlowChoice value. Never
        # is ready in a fraction of the time and memory, same data.
        "load_tensorflow": "never",
        "open_in": OpenTarget.Pane,
        "stop_on_exit": True,
        "autodetect": True,
        "autodetect_depth": 6,
        # Off on Windows (see watches_by_default); the user may turn it on.
        "file_watching": watches_by_default(),
        "poll_interval": 2,
        # Remote roots (s3://...): each listing is a request to the store.
        "remote_poll_interval": 10,
        # {context directory key: {"added": [...], "hidden": [...]}}
        "log_directories": {},
        # Runs table: the scalar tags shown ([]: the ones most runs share)
        # and the hyper-parameters hidden (new ones show).
        "runs_table_tags": [],
        "runs_table_hidden_hparams": [],
    }),
]

# Changing a default: minor bump (1.0.0 -> 1.1.0). Removing or renaming an
# option: major bump. Adding an option needs no bump.
CONF_VERSION = "1.2.0"
