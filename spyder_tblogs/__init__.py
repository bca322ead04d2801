"""spyder-tblogs: a Spyder pane that reads, diagnoses and serves TensorBoard logs.

The package has three floors; a lower floor never imports an upper one:

- :mod:`spyder_tblogs.logs` -- Qt-free log index (discovery, event-file reading,
  diagnostics);
- :mod:`spyder_tblogs.tensorboard` -- Qt-free TensorBoard process manager;
- :mod:`spyder_tblogs.spyder` -- the Spyder plugin (Qt).
"""

__version__ = "0.1.0"
