"""``python -m spyder_tblogs tensorboard {start,list,stop}``.

Errors are one line on stderr with a non-zero exit code, never a traceback.
The registry is the user's (or ``$SPYDER_TBLOGS_REGISTRY``), so a second CLI
call, or Spyder, sees what an earlier one started.
"""

import argparse
import json
import math
import os
import sys
import warnings

from spyder_tblogs.logs.cli import add_command

#: Exit code for a failure (bad input, TensorBoard error).
EXIT_FAILURE = 1


def add_parsers(subparsers):
    """Add the ``tensorboard`` command and its actions to ``subparsers``."""
    parser = subparsers.add_parser(
        "tensorboard",
        help="start, list and stop managed TensorBoard servers",
        description="Start, list and stop TensorBoard servers that run as "
                    "their own processes and outlive this command.")
    actions = parser.add_subparsers(dest="tensorboard_action",
                                    metavar="ACTION")
    actions.required = True

    start = add_command(
        actions, "start", run_start,
        "start (or reuse) TensorBoard on a log directory",
        "Start TensorBoard on LOGDIR (a directory, or a URL such as "
        "s3://bucket/prefix), or reuse the one already serving it with the "
        "same interpreter (any, without extra arguments; else one with the "
        "same ones); print its URL. Arguments after '--' go to TensorBoard.")
    start.add_argument("logdir", metavar="LOGDIR")
    start.add_argument("--with-tensorflow", action="store_true",
                       help="let TensorBoard load TensorFlow when it is "
                            "installed (default: never, which starts faster "
                            "and uses less memory; URLs that only "
                            "TensorFlow reads load it anyway, s3:// never)")
    start.add_argument("--python", metavar="PY",
                       help="interpreter that has tensorboard (default: this "
                            "one)")
    start.add_argument("--port", type=_port_number, metavar="N",
                       help="port (default: a free one)")
    start.add_argument("--host", default="127.0.0.1", metavar="H",
                       help="address to listen on (default: 127.0.0.1; "
                            "anything else exposes the logs to the network)")
    start.add_argument("--timeout", type=_positive_seconds, default=60.0,
                       metavar="S",
                       help="seconds to wait for the server (default: 60)")
    start.add_argument("--json", action="store_true",
                       help="print pid, port, host, url, logdir, reused, "
                            "listening, tensorflow, extra_args and "
                            "default_args as JSON")

    listing = add_command(actions, "list", run_list, "list running instances")
    listing.add_argument("--json", action="store_true",
                         help="print a JSON list")

    stop = add_command(
        actions, "stop", run_stop, "stop instances and their child processes",
        "Stop the instance with pid PID, every instance serving LOGDIR, or "
        "all registered instances.")
    target = stop.add_mutually_exclusive_group(required=True)
    target.add_argument("target", nargs="?", metavar="PID|LOGDIR")
    target.add_argument("--all", action="store_true",
                        help="stop every registered instance")


def _port_number(text):
    """argparse type: a port, 1-65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 1 to 65535, not {text!r}")
    return value


def _positive_seconds(text):
    """argparse type: seconds, finite and above 0 (NaN would never time
    out, infinity never end)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds above 0, not {text!r}")
    return value


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _manager():
    from spyder_tblogs.tensorboard.manager import TensorBoardManager
    return TensorBoardManager()


def run_start(args):
    """Handle ``tensorboard start``."""
    from spyder_tblogs.tensorboard.instance import (
        TensorBoardError, TensorBoardSecurityWarning, TensorFlowUse)
    from spyder_tblogs.tensorboard.launch_plan import TensorFlowChoice
    choice = TensorFlowChoice.WHEN_INSTALLED if args.with_tensorflow else \
        TensorFlowChoice.NEVER
    try:
        manager = _manager()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TensorBoardSecurityWarning)
            instance = manager.start(
                args.logdir, python=args.python, port=args.port,
                host=args.host, extra_args=getattr(args, "extra", []) or [],
                tensorflow=choice, timeout=args.timeout)
    except TensorBoardError as error:
        return _fail(error.message)
    except OSError as error:
        return _fail(f"registry: {error}")
    for warning in caught:
        if issubclass(warning.category, TensorBoardSecurityWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
    if instance.reused and args.with_tensorflow and \
            instance.tensorflow is TensorFlowUse.SKIPPED:
        print(f"note: reusing the server started without TensorFlow (pid "
              f"{instance.pid}); stop it first to start one with TensorFlow",
              file=sys.stderr)
    if args.json:
        print(json.dumps(instance.to_json()))
    else:
        print(instance.url)
    return 0


def run_list(args):
    """Handle ``tensorboard list``."""
    from spyder_tblogs.tensorboard.instance import TensorBoardError
    try:
        instances = _manager().list()
    except TensorBoardError as error:
        return _fail(error.message)
    except OSError as error:
        return _fail(f"registry: {error}")
    if args.json:
        print(json.dumps([instance.to_json() for instance in instances]))
        return 0
    for instance in instances:
        extra = (" " + " ".join(instance.extra_args)) if instance.extra_args \
            else ""
        listening = ", ".join(instance.listening) or "unknown"
        print(f"{instance.pid}\t{instance.url}\tlistening on {listening}\t"
              f"tensorflow {instance.tensorflow.value}\t"
              f"{instance.logdir}{extra}")
    return 0


def run_stop(args):
    """Handle ``tensorboard stop``."""
    from spyder_tblogs.tensorboard.instance import TensorBoardError
    try:
        manager = _manager()
        if args.all:
            stopped = []
            for instance in manager.list():
                stopped.extend(manager.stop(instance))
            # Records of servers still starting or hung are stopped too.
            for _, instance, _ in manager.registry.records():
                stopped.extend(manager.stop(instance))
            print(f"stopped {len(stopped)} process(es)")
            return 0
        target = args.target
        if target.isdigit() and not os.path.isdir(target):
            what = f"pid {target}"
            stopped = manager.stop(int(target))
        else:
            what = target
            stopped = manager.stop(target)
    except TensorBoardError as error:
        return _fail(error.message)
    except OSError as error:
        return _fail(f"registry: {error}")
    if not stopped:
        return _fail(f"no running TensorBoard registered for {what}")
    print(f"stopped {len(stopped)} process(es)")
    return 0
