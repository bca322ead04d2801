"""Start Spyder with the TensorBoard Logs pane on a demo project whose logs
are being written live.

``python scripts/demo.py [PROJECT_DIR]`` (``bash scripts/demo.sh`` sets up the
virtual environment first) does three things:

1. writes a demo project: finished runs, a restarted run whose steps overlap,
   a writer that never flushed, PyTorch-style logs with hyper-parameters, and
   a ``train.py`` to run in Spyder's console;
2. starts a writer process that keeps appending to ``logs/live/...`` (a new
   run begins every minute), as a training job would;
3. starts Spyder on that project with the TensorBoard Logs pane in front
   and no welcome tour, with its own configuration in your cache directory
   (your own Spyder settings and the project are left alone), and stops the
   writer when Spyder exits.

The demo's own processes (the writers, Spyder's log) are kept quiet;
Spyder's console keeps your environment as it is.

``--no-spyder`` only writes the project and runs the live writer (used by the
screenshot script and handy for watching the pane of an already open Spyder).
"""

import argparse
import logging
import math
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_PROJECT = REPO / "demo-project"

# TensorFlow's C++ and absl start-up lines, which the demo's writers (they
# write through tensorboard, which imports TensorFlow when installed) would
# print. Only for the demo's own processes: the console is the user's.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
             "GRPC_VERBOSITY": "ERROR", "GLOG_minloglevel": "3"}


def demo_config_dir():
    """Spyder configuration of the demo: in the user's cache directory, so
    that it never shows in the project (nor in the user's own settings)."""
    from platformdirs import user_cache_dir

    return pathlib.Path(user_cache_dir("spyder-tblogs")) / "demo-config"


TRAIN_SCRIPT = '''\
"""Run me in Spyder's console (F5), then watch the TensorBoard Logs pane.

The pane marks the run this console writes, follows it, and keeps
refreshing while you stop at the breakpoint below.
"""
import math
import time

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter


def scalar(tag, value, step):
    summary = summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return event_pb2.Event(wall_time=time.time(), step=step, summary=summary)


writer = EventFileWriter("logs/console_run")
for step in range(200):
    writer.add_event(scalar("loss", 2.0 * math.exp(-step / 40) + 0.05, step))
    if step == 100:
        writer.flush()
        # breakpoint()  # uncomment: the pane keeps working while you debug
    time.sleep(0.05)
writer.close()
'''


def scalar_event(tag, value, step):
    """A TF2-style scalar: a 0-d float tensor tagged for the scalars plugin.

    Built from tensorboard's protobufs directly; ``tensorboard.summary.v1``
    would import TensorFlow when it is installed, which takes seconds.
    """
    from tensorboard.compat.proto import (event_pb2, summary_pb2,
                                          tensor_pb2, types_pb2)
    metadata = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="scalars"),
        data_class=summary_pb2.DATA_CLASS_SCALAR)
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                    float_val=[value])
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor,
                                      metadata=metadata)
    return event_pb2.Event(wall_time=time.time(), step=step,
                           summary=summary_pb2.Summary(value=[value]))


def histogram_event(tag, values, step):
    """A legacy (TF1 / PyTorch style) histogram."""
    import numpy as np
    from tensorboard.compat.proto import event_pb2, summary_pb2

    counts, edges = np.histogram(values, bins=30)
    histogram = summary_pb2.HistogramProto(
        min=float(values.min()), max=float(values.max()), num=len(values),
        sum=float(values.sum()), sum_squares=float((values ** 2).sum()),
        bucket_limit=edges[1:].tolist(), bucket=counts.tolist())
    value = summary_pb2.Summary.Value(tag=tag, histo=histogram)
    return event_pb2.Event(wall_time=time.time(), step=step,
                           summary=summary_pb2.Summary(value=[value]))


def write_run(directory, steps, *, start=0, seed=0, histograms=False,
              suffix=""):
    """Write one finished run with tensorboard's own event writer."""
    import numpy as np
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    rng = random.Random(seed)
    writer = EventFileWriter(str(directory), filename_suffix=suffix)
    for step in range(start, start + steps):
        loss = 2.0 * math.exp(-step / 60) + 0.05 * rng.random()
        writer.add_event(scalar_event("loss", loss, step))
        writer.add_event(scalar_event("accuracy", 1 - loss / 2.2, step))
        if histograms and step % 10 == 0:
            weights = np.random.default_rng(step).normal(0, 1 + step / 100, 500)
            writer.add_event(histogram_event("weights", weights, step))
    writer.close()


def write_never_flushed(directory):
    """A writer killed before its first flush: leaves an empty event file."""
    code = (
        "import os, sys\n"
        "from tensorboardX import SummaryWriter\n"
        "w = SummaryWriter(sys.argv[1], flush_secs=3600, max_queue=1000)\n"
        "for step in range(50):\n"
        "    w.add_scalar('loss', 1.0 / (step + 1), step)\n"
        "os._exit(0)  # crash: nothing was flushed\n"
    )
    subprocess.run([sys.executable, "-c", code, str(directory)], check=True)


def write_pytorch_style(directory):
    """tensorboardX logs, as PyTorch users write them, with add_hparams."""
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(directory))
    for step in range(120):
        writer.add_scalar("train/loss", 1.5 * math.exp(-step / 30), step)
        writer.add_scalar("val/loss", 1.6 * math.exp(-step / 35) + 0.05, step)
    writer.add_text("notes", "resnet18, batch 64, cosine schedule", 0)
    writer.add_hparams({"lr": 0.01, "batch_size": 64},
                       {"hparam/val_loss": 0.08})
    writer.close()


def write_sweep(directory):
    """A learning-rate sweep with its hparams in each run (what the Runs
    table compares); the largest rate diverges to NaN. Written as if each
    run had trained for about 40 minutes, an hour ago."""
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams as hparams_summaries

    for number, (lr, optimizer) in enumerate(
            ((0.3, "sgd"), (0.1, "sgd"), (0.03, "adam"), (0.01, "adam"))):
        run = directory / f"lr_{lr:g}"
        started = time.time() - 3600 - 600 * number
        with SummaryWriter(str(run)) as writer:
            loss = 2.0
            for step in range(200):
                wall_time = started + 12 * step
                if lr > 0.2 and step >= 80:
                    loss = math.nan if step > 95 else loss * 1.6
                else:
                    loss = 2.0 * math.exp(-step * lr / 3) + 0.1 * (
                        1 - lr) + 0.01 * random.random()
                writer.add_scalar("train/loss", loss, step, wall_time)
                writer.add_scalar("val/accuracy", 1 - min(loss, 2) / 2.2,
                                  step, wall_time)
            # In the run itself, not add_hparams' timestamped subrun.
            for summary in hparams_summaries(
                    {"lr": lr, "optimizer": optimizer, "batch_size": 64},
                    {"val/accuracy": 1 - min(loss, 2) / 2.2}):
                writer._get_file_writer().add_summary(
                    summary, walltime=wall_time)
        for name in os.listdir(run):
            os.utime(run / name, (wall_time, wall_time))


def create_project(project):
    """Write the demo project's static part (idempotent)."""
    logs = project / "logs"
    if (logs / "baseline").exists():
        return
    logs.mkdir(parents=True, exist_ok=True)
    (project / "train.py").write_text(TRAIN_SCRIPT, encoding="utf-8")
    write_run(logs / "baseline", 300, seed=1, histograms=True)
    # A training job restarted from step 150 into the same directory: two
    # event files whose steps overlap, the classic zig-zag plot.
    write_run(logs / "restarted", 200, seed=2)
    time.sleep(1.1)  # a new file name needs a new second
    write_run(logs / "restarted", 150, start=150, seed=3)
    write_never_flushed(logs / "never_flushed")
    write_pytorch_style(logs / "pytorch_style")
    write_sweep(logs / "sweep")


def write_live(logs, stop_after=None):
    """Append to a live run forever (or ``stop_after`` seconds).

    A new run starts every 60 s so the pane shows runs appearing too.
    """
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    started = time.monotonic()
    parent = os.getppid()
    run_number = 0
    while stop_after is None or time.monotonic() - started < stop_after:
        run_number += 1
        lr = 0.1 / run_number
        writer = EventFileWriter(str(logs / "live" / f"lr_{lr:g}"))
        run_started = time.monotonic()
        step = 0
        while time.monotonic() - run_started < 60:
            if stop_after is not None and time.monotonic() - started >= stop_after:
                break
            if os.getppid() != parent:
                # Whoever started us died without stopping us.
                writer.close()
                return
            loss = 2.0 * math.exp(-step * lr / 5) + 0.02 * random.random()
            writer.add_event(scalar_event("loss", loss, step))
            writer.add_event(scalar_event("learning_rate", lr, step))
            writer.flush()
            step += 1
            time.sleep(0.5)
        writer.close()


def check_window(plugin, report_path):
    """Write what a user sees first to ``report_path`` (JSON, with a
    picture of the window beside it), then close Spyder: the demo's test."""
    import json

    from qtpy.QtWidgets import QApplication, QDialog

    window = plugin.main
    pane = plugin.get_widget()
    dialogs = [widget.windowTitle() or type(widget).__name__
               for widget in QApplication.topLevelWidgets()
               if isinstance(widget, QDialog) and widget.isVisible()]
    tabbed_with = [dock.windowTitle()
                   for dock in window.tabifiedDockWidgets(plugin.dockwidget)]
    report = {
        "pane_visible": pane.isVisible()
        and not pane.visibleRegion().isEmpty(),
        "dialogs": dialogs,
        "tabbed_with": tabbed_with,
        "conf_dir": os.environ.get("SPYDER_CONFDIR"),
        # What Spyder's consoles inherit.
        "quiet_env": sorted(name for name in QUIET_ENV if name in os.environ),
    }
    window.grab().save(str(pathlib.Path(report_path).with_suffix(".png")))
    pathlib.Path(report_path).write_text(json.dumps(report), "utf-8")
    window.close()   # stops the pane's servers and the console's kernel
    # Qt's teardown without a display aborts; everything is closed.
    sys.stdout.flush()
    os._exit(0)


def run_spyder(conf_dir, project, check=None):
    """Spyder in this process, showing the pane first and no tour dialog.

    Spyder has no command-line option for either: its configuration (the
    demo's own) says no tour, and the pane raises itself once the main
    window's setup, which picks the visible tabs, is finished.
    """
    os.environ["SPYDER_CONFDIR"] = str(conf_dir)
    sys.argv = [sys.argv[0], "--new-instance", "--conf-dir", str(conf_dir),
                "--project", str(project), str(project / "train.py")]
    from qtpy.QtCore import QTimer
    from spyder.api.plugin_registration.registry import PLUGIN_REGISTRY
    from spyder.app import start
    from spyder.config.manager import CONF

    CONF.set("tours", "show_tour_message", False)
    # Past the runs at which Spyder asks for donations, and no update
    # check: the first minute is about the pane.
    CONF.set("main", "spyder_runs_for_appeal", 26)
    CONF.set("update_manager", "check_updates_on_startup", False)

    def raise_pane(plugin):
        plugin.switch_to_plugin(force_focus=True)
        plugin.dockwidget.raise_()

    def on_plugin_ready(name, _omit_conf):
        if name == "tblogs":
            plugin = PLUGIN_REGISTRY.get_plugin(name)
            plugin.main.sig_setup_finished.connect(
                lambda: QTimer.singleShot(0, lambda: raise_pane(plugin)))
            if check:
                # Late enough for the tour's and other start-up dialogs.
                plugin.main.sig_setup_finished.connect(
                    lambda: QTimer.singleShot(
                        5000, lambda: check_window(plugin, check)))

    PLUGIN_REGISTRY.sig_plugin_ready.connect(on_plugin_ready)
    return start.main()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default=str(DEFAULT_PROJECT),
                        help="where to write the demo project "
                             "(default: %(default)s)")
    parser.add_argument("--no-spyder", action="store_true",
                        help="only write the project and run the live writer")
    parser.add_argument("--write-live", action="store_true",
                        help=argparse.SUPPRESS)  # the writer process itself
    parser.add_argument("--seconds", type=float, default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--run-spyder", metavar="CONF_DIR", default=None,
                        help=argparse.SUPPRESS)  # the Spyder process itself
    parser.add_argument("--check", metavar="REPORT", default=None,
                        help=argparse.SUPPRESS)  # tests: report, then quit
    args = parser.parse_args(argv)
    project = pathlib.Path(args.project).resolve()

    if args.run_spyder:
        return run_spyder(args.run_spyder, project, args.check)
    if args.write_live:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        write_live(project / "logs", stop_after=args.seconds)
        return 0

    user_env = dict(os.environ)
    os.environ.update(QUIET_ENV)   # this process and its writer
    # tensorboardX warns at every NaN the sweep's diverging run logs, on
    # purpose.
    logging.getLogger("tensorboardX.x2num").setLevel(logging.ERROR)
    print(f"Demo project: {project}")
    create_project(project)
    writer = subprocess.Popen([sys.executable, __file__, str(project),
                               "--write-live"])
    print(f"Live writer running (pid {writer.pid}), appending to "
          f"{project / 'logs' / 'live'}")
    try:
        if args.no_spyder:
            writer.wait()
            return 0
        # Spyder's consoles inherit its environment: the user's, unquieted.
        env = user_env
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # QtWebEngine (Spyder's help, TensorBoard in the pane) refuses
            # to run as root without this.
            env.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
        conf_dir = demo_config_dir()
        conf_dir.mkdir(parents=True, exist_ok=True)
        log = conf_dir / "spyder-output.log"
        print(f"Starting Spyder (configuration {conf_dir}; its output goes "
              f"to {log})")
        with open(log, "w", encoding="utf-8") as output:
            code = subprocess.call(
                [sys.executable, __file__, str(project), "--run-spyder",
                 str(conf_dir)]
                + (["--check", args.check] if args.check else []),
                env=env, stdout=output,
                stderr=subprocess.STDOUT)
        if code:
            print(f"Spyder exited with code {code}; see {log}")
        return code
    except KeyboardInterrupt:
        return 130
    finally:
        writer.terminate()
        try:
            writer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            writer.kill()
            writer.wait()


if __name__ == "__main__":
    sys.exit(main())
