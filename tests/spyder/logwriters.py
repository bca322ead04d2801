"""Real event-file writers for the plugin tests.

Thin wrappers around tensorboard's own ``EventFileWriter`` (the writer
PyTorch's ``SummaryWriter`` is built on) that can keep a file open and
append, which the live-update tests need.
"""

import os
import time

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter


class RunWriter:
    """Write scalar events into one run directory with a real writer.

    Parameters
    ----------
    directory : str
        Run directory (created).
    tags : tuple of str
        Scalar tags written at every step.
    filename_suffix : str
        Suffix of the event file name.
    """

    def __init__(self, directory, tags=("loss", "accuracy"),
                 filename_suffix=""):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.tags = tags
        self.step = 0
        # A long flush interval: the tests decide when bytes hit the disk.
        self.writer = EventFileWriter(directory, max_queue_size=10000,
                                      flush_secs=3600,
                                      filename_suffix=filename_suffix)

    @property
    def path(self):
        """Path of the event file."""
        names = [n for n in os.listdir(self.directory) if "tfevents" in n]
        return os.path.join(self.directory, sorted(names)[-1])

    def write(self, steps=5, flush=True):
        """Append ``steps`` steps of scalars."""
        for _ in range(steps):
            summary = summary_pb2.Summary(value=[
                summary_pb2.Summary.Value(tag=tag,
                                          simple_value=1.0 / (self.step + 1))
                for tag in self.tags])
            self.writer.add_event(event_pb2.Event(
                wall_time=time.time(), step=self.step, summary=summary))
            self.step += 1
        if flush:
            self.writer.flush()
        return self

    def close(self):
        """Flush and close the file."""
        self.writer.close()


def write_run(directory, steps=5, tags=("loss", "accuracy"),
              filename_suffix=""):
    """Write a complete (closed) run; return the event file path."""
    writer = RunWriter(directory, tags=tags, filename_suffix=filename_suffix)
    writer.write(steps)
    path = writer.path
    writer.close()
    return path
