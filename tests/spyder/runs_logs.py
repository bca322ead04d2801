"""Logs for the Runs table tests, written by real writers.

Scalars with tensorboardX's ``SummaryWriter`` and, in the same run, the
HParams plugin's session summaries its ``add_hparams`` writes (without the
timestamp-named subdirectory, so the hparams belong to the run itself); a
run whose loss becomes NaN; a run with no hparams written by tensorboard's
own ``EventFileWriter`` (what PyTorch uses).
"""

import math
import os

from logwriters import write_run

# run name -> (hparams, loss per step)
RUNS = {
    "sweep/lr_0.1": ({"lr": 0.1, "optimizer": "adam"},
                     [1.0, 0.6, 0.4, 0.3, 0.25]),
    "sweep/lr_0.01": ({"lr": 0.01, "optimizer": "sgd"},
                      [1.0, 0.9, 0.8, 0.7, 0.65]),
    "sweep/lr_1.0": ({"lr": 1.0, "optimizer": "adam"},
                     [1.0, 3.0, math.nan, math.nan, math.nan]),
}
NAN_RUN = "sweep/lr_1.0"
PLAIN_RUN = "baseline"


def write_hparams_run(directory, hparams, losses):
    """One run: ``loss`` per step and its hparams, with tensorboardX."""
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams as hparams_summaries

    os.makedirs(directory, exist_ok=True)
    with SummaryWriter(logdir=directory) as writer:
        for step, loss in enumerate(losses):
            writer.add_scalar("loss", loss, step)
            writer.add_scalar("accuracy", 1.0 - step / 10, step)
        file_writer = writer._get_file_writer()
        for summary in hparams_summaries(hparams, {"loss": losses[-1]}):
            file_writer.add_summary(summary)


def write_runs_logs(logdir):
    """Write every run of :data:`RUNS` and :data:`PLAIN_RUN` under logdir."""
    for name, (hparams, losses) in RUNS.items():
        write_hparams_run(os.path.join(logdir, *name.split("/")), hparams,
                          losses)
    write_run(os.path.join(logdir, PLAIN_RUN), steps=4)
    return logdir
