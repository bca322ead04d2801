"""Preferences page of the TensorBoard Logs plugin."""


from qtpy.QtCore import Qt
from qtpy.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from spyder.api.preferences import PluginConfigPage
from spyder.api.translations import _

from spyder_tblogs.spyder.api import InterpreterMode, OpenTarget
from spyder_tblogs.spyder.config import DEFAULT_HOST
from spyder_tblogs.spyder.widgets.instances import host_security_warning
from spyder_tblogs.tensorboard import TensorFlowChoice, split_extra_args


def extra_args_problem(text: str) -> str:
    """Why ``text`` cannot be TensorBoard's extra arguments ('' if it can).

    The pane splits the text like a POSIX shell and the manager refuses the
    flags it sets itself; saying so here beats a failed start later.
    """
    try:
        args = split_extra_args(text or "")
    except ValueError as error:
        return _("Extra arguments: {}").format(error)
    from spyder_tblogs.tensorboard import TensorBoardError, check_extra_args

    try:
        check_extra_args(tuple(args))
    except TensorBoardError as error:
        return _("Extra arguments: {}").format(error.message)
    return ""


class TBLogsConfigPage(PluginConfigPage):
    """TensorBoard interpreter and server, where to open, log discovery."""

    def setup_page(self):
        # ---- TensorBoard interpreter
        interpreter_group = QGroupBox(_("TensorBoard interpreter"))
        interpreter_layout = QVBoxLayout()
        interpreter_layout.addWidget(QLabel(_(
            "TensorBoard runs as a separate process with this Python "
            "interpreter, which must have the <tt>tensorboard</tt> package "
            "installed.")))
        interpreter_mode = self.create_combobox(
            _("Interpreter:"),
            ((_("Automatic (the console's if it has tensorboard, else "
                "Spyder's)"), InterpreterMode.Automatic),
             (_("Spyder's interpreter"), InterpreterMode.Spyder),
             (_("The IPython console's interpreter"), InterpreterMode.Console),
             (_("The interpreter below"), InterpreterMode.Custom)),
            "interpreter_mode")
        interpreter_layout.addWidget(interpreter_mode)
        self.interpreter_mode = interpreter_mode.combobox
        self.interpreter_path = self.create_browsefile(
            "", "interpreter_path", filters="*")
        interpreter_layout.addWidget(self.interpreter_path)
        # The path only matters for "the interpreter below".
        self.interpreter_mode.currentIndexChanged.connect(
            self._update_interpreter_path)
        interpreter_group.setLayout(interpreter_layout)

        # ---- Server
        server_group = QGroupBox(_("TensorBoard server"))
        server_layout = QVBoxLayout()
        self.host_edit = self.create_lineedit(
            _("Host to bind:"), "host",
            tip=_("{} keeps TensorBoard reachable from this computer "
                  "only").format(DEFAULT_HOST))
        self.host_warning = QLabel()
        self.host_warning.setWordWrap(True)
        self.host_warning.setTextFormat(Qt.PlainText)
        self.host_edit.textbox.textChanged.connect(self._update_host_warning)
        port_auto = self.create_checkbox(
            _("Pick a free port automatically"), "port_auto")
        port = self.create_spinbox(_("Fixed port:"), "", "port",
                                   min_=1024, max_=65535, step=1)
        port_auto.checkbox.toggled.connect(
            lambda checked: port.setEnabled(not checked))
        port.setEnabled(not self.get_option("port_auto"))
        extra_args = self.create_lineedit(
            _("Extra arguments:"), "extra_args",
            tip=_("Passed to tensorboard as they are, e.g. "
                  "--samples_per_plugin images=100"))
        self.extra_args_edit = extra_args.textbox
        self.extra_args_error = QLabel()
        self.extra_args_error.setWordWrap(True)
        self.extra_args_error.setTextFormat(Qt.PlainText)
        self.extra_args_edit.textChanged.connect(self._update_extra_args_error)
        reload_interval = self.create_spinbox(
            _("Reload logs every"), _("seconds"), "reload_interval",
            min_=1, max_=3600, step=1)
        load_tensorflow = self.create_combobox(
            _("Load TensorFlow in TensorBoard:"),
            ((_("Never (fastest)"), TensorFlowChoice.NEVER.value),
             (_("When installed"), TensorFlowChoice.WHEN_INSTALLED.value)),
            "load_tensorflow",
            tip=_("TensorBoard reads event files without TensorFlow; loading "
                  "it adds seconds and hundreds of MB at every start. "
                  "Directories only TensorFlow can read (hdfs://) load it "
                  "anyway. Applies to servers started from now on."))
        self.load_tensorflow = load_tensorflow.combobox
        for widget in (self.host_edit, self.host_warning, port_auto, port,
                       extra_args, self.extra_args_error, reload_interval,
                       load_tensorflow):
            server_layout.addWidget(widget)
        server_group.setLayout(server_layout)

        # ---- Opening
        open_group = QGroupBox(_("Opening"))
        open_layout = QVBoxLayout()
        open_layout.addWidget(self.create_combobox(
            _("Open TensorBoard:"),
            ((_("In this pane"), OpenTarget.Pane),
             (_("In the system browser"), OpenTarget.Browser),
             (_("Don't open it, only start it"), OpenTarget.Nothing)),
            "open_in"))
        open_layout.addWidget(self.create_checkbox(
            _("Stop the TensorBoard instances started here when Spyder "
              "closes"), "stop_on_exit"))
        open_group.setLayout(open_layout)

        # ---- Discovery
        discovery_group = QGroupBox(_("Finding and watching logs"))
        discovery_layout = QVBoxLayout()
        autodetect = self.create_checkbox(
            _("Find log directories in the project automatically"),
            "autodetect")
        depth = self.create_spinbox(
            _("Search depth:"), _("directory levels"), "autodetect_depth",
            min_=1, max_=20, step=1)
        autodetect.checkbox.toggled.connect(depth.setEnabled)
        depth.setEnabled(self.get_option("autodetect"))
        watching = self.create_checkbox(
            _("Watch log files for changes"), "file_watching",
            tip=_("Uses the operating system's file notifications; polling "
                  "below also catches network drives. On Windows a watched "
                  "directory is held open: a script cannot delete and "
                  "re-create it while it is watched"))
        poll = self.create_spinbox(
            _("Check for new events every"), _("seconds"), "poll_interval",
            min_=1, max_=600, step=1)
        remote_poll = self.create_spinbox(
            _("List remote log directories (s3://, gs://…) every"),
            _("seconds"), "remote_poll_interval", min_=2, max_=3600, step=1,
            tip=_("Each listing is one request (or a few pages) to the "
                  "object store; only new bytes are read"))
        for widget in (autodetect, depth, watching, poll, remote_poll):
            discovery_layout.addWidget(widget)
        discovery_group.setLayout(discovery_layout)

        layout = QVBoxLayout()
        for group in (interpreter_group, server_group, open_group,
                      discovery_group):
            layout.addWidget(group)
        layout.addStretch(1)
        self.setLayout(layout)
        self._update_host_warning(self.get_option("host"))
        self._update_extra_args_error(self.get_option("extra_args"))
        self._update_interpreter_path()

    def is_valid(self):
        """Refuse to save extra arguments TensorBoard would never get."""
        problem = extra_args_problem(self.extra_args_edit.text())
        if problem:
            self._update_extra_args_error(self.extra_args_edit.text())
            return False
        return super().is_valid()

    def _update_host_warning(self, text):
        # The process manager's own verdict and words.
        warning = host_security_warning(text)
        self.host_warning.setText(_("Warning: ") + warning if warning else "")
        self.host_warning.setVisible(bool(warning))

    def _update_extra_args_error(self, text):
        problem = extra_args_problem(text)
        self.extra_args_error.setText(problem)
        self.extra_args_error.setVisible(bool(problem))

    def _update_interpreter_path(self, *args):
        custom = self.interpreter_mode.currentData() == InterpreterMode.Custom
        self.interpreter_path.setEnabled(custom)
