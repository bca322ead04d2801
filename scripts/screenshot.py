"""Retake ``docs/screenshot.png``: Spyder with the TensorBoard Logs pane on
the demo project, under a real (virtual) X display.

``python scripts/screenshot.py [--output PATH]`` needs ``Xvfb``
(``apt-get install xvfb``) unless a display is already available. It writes
a fresh demo project in a temporary directory, runs the demo's live writer,
starts Spyder in this process with a temporary configuration, waits until the
pane lists the runs, selects the restarted run (so its diagnostics show) and
grabs the main window.

``--runs-table`` takes ``docs/runs_table.png`` instead: the Runs tab on
the demo's learning-rate sweep, sorted by the last training loss, the
diverged run and the best one selected and overlaid in the Scalars tab.
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import demo  # noqa: E402  (the demo project and its live writer)


def start_virtual_display():
    """Start Xvfb on a free display number; return (process, display)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("screenshot: no display and no Xvfb "
                 "(apt-get install xvfb)")
    for number in range(99, 120):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}"):
            break
    display = f":{number}"
    process = subprocess.Popen(
        [xvfb, display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit("screenshot: Xvfb did not start")
        time.sleep(0.1)
    return process, display


def wait_until(app, predicate, timeout):
    """Run the Qt event loop until ``predicate()`` or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.05)
    return False


def show_runs_table(app, pane, logs):
    """Bring the Runs tab on the sweep to the front, ready to picture."""
    from qtpy.QtCore import Qt

    folder = [child for child in pane.model.root_node(str(logs)).children
              if child.name == "sweep"][0]
    pane.select_node(folder)
    pane.runs_table.show()
    model = pane.runs_table.table_model
    if not wait_until(app, lambda: model.total_rows() == 4, 60):
        sys.exit("screenshot: the Runs table did not list the sweep")
    headers = [model.headerData(column, Qt.Horizontal)
               for column in range(model.columnCount())]
    view = pane.runs_table.widget.view
    view.horizontalHeader().setSortIndicator(
        headers.index("train/loss last"), Qt.AscendingOrder)
    view.resizeColumnToContents(0)
    app.processEvents()
    # The best run and the diverged one, overlaid below.
    view.selectRow(0)
    diverged = model.rows_of_runs(["sweep/lr_0.3"])[0]
    view.selectionModel().select(
        model.index(diverged, 0),
        view.selectionModel().Select | view.selectionModel().Rows)
    pane.details_tabs.setCurrentWidget(pane.sparklines)


def take(output, runs_table=False):
    # Spyder then keeps its configuration in a temporary directory and
    # returns the window instead of entering its own event loop.
    os.environ["SPYDER_PYTEST"] = "True"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

    project = pathlib.Path(tempfile.mkdtemp(prefix="tblogs-shot-")) / "demo"
    demo.create_project(project)
    writer = subprocess.Popen([sys.executable, demo.__file__, str(project),
                               "--write-live"])
    window = None
    try:
        from qtpy.QtWidgets import QApplication
        from spyder.app import start
        from spyder.config.manager import CONF

        CONF.set("tours", "show_tour_message", False)
        CONF.set("main", "single_instance", False)
        window = start.main()
        app = QApplication.instance()
        window.resize(1500, 950)
        tblogs = window.get_plugin("tblogs")
        window.get_plugin("project_explorer").open_project(str(project))
        pane = tblogs.get_widget()
        tblogs.switch_to_plugin(force_focus=True)

        def runs_listed():
            names = {node.run_name for node in pane.model.iter_runs()}
            return {"baseline", "restarted", "live/lr_0.1",
                    "sweep/lr_0.3"} <= names

        if not wait_until(app, runs_listed, 120):
            sys.exit("screenshot: the pane did not list the demo runs")
        # Give the pane most of the window, then picture the pane alone.
        from qtpy.QtCore import Qt
        dock = tblogs.dockwidget
        console_dock = window.get_plugin("ipython_console").dockwidget
        window.resizeDocks([dock], [1300 if runs_table else 1100],
                           Qt.Horizontal)
        window.resizeDocks([dock, console_dock], [880, 60], Qt.Vertical)
        pane.tree.expandAll()
        if runs_table:
            show_runs_table(app, pane, project / "logs")
        else:
            restarted = pane.model.find_run(str(project / "logs"),
                                            "restarted")
            pane.select_node(restarted)
        wait_until(app, lambda: False, 4)  # a few live refreshes
        output.parent.mkdir(parents=True, exist_ok=True)
        dock.grab().save(str(output))
        print(f"wrote {output}", file=sys.__stdout__)
    finally:
        writer.terminate()
        writer.wait(timeout=10)
        if window is not None:
            window.close()
        shutil.rmtree(project.parent, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=pathlib.Path, default=None)
    parser.add_argument("--runs-table", action="store_true",
                        help="picture the Runs tab (docs/runs_table.png)")
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = REPO / "docs" / (
            "runs_table.png" if args.runs_table else "screenshot.png")
    xvfb = None
    if not os.environ.get("DISPLAY"):
        xvfb, os.environ["DISPLAY"] = start_virtual_display()
    try:
        take(args.output.resolve(), args.runs_table)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    # Skip Qt's and Spyder's teardown at exit: it talks to an X server that
    # is gone by now and aborts.
    sys.__stdout__.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
