"""Preferences page of the TensorBoard Logs plugin."""

from qtpy.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from spyder.api.preferences import PluginConfigPage
from spyder.api.translations import _

from spyder_tblogs.spyder.api import InterpreterMode, OpenTarget

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "")


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
        self.interpreter_path = self.create_browsefile(
            "", "interpreter_path", filters="*")
        interpreter_layout.addWidget(self.interpreter_path)
        interpreter_group.setLayout(interpreter_layout)

        # ---- Server
        server_group = QGroupBox(_("TensorBoard server"))
        server_layout = QVBoxLayout()
        self.host_edit = self.create_lineedit(
            _("Host to bind:"), "host",
            tip=_("127.0.0.1 keeps TensorBoard reachable from this computer "
                  "only"))
        self.host_warning = QLabel(_(
            "<b>Warning:</b> with a host other than 127.0.0.1, anyone who "
            "can reach this computer over the network can read your logs."))
        self.host_warning.setWordWrap(True)
        self.host_edit.textbox.textChanged.connect(self._update_host_warning)
        port_auto = self.create_checkbox(
            _("Pick a free port automatically"), "port_auto")
        port = self.create_spinbox(_("Fixed port:"), "", "port",
                                   min_=1024, max_=65535, step=1)
        port_auto.checkbox.toggled.connect(
            lambda checked: port.setEnabled(not checked))
        port.setEnabled(not self.get_option("port_auto", True))
        extra_args = self.create_lineedit(
            _("Extra arguments:"), "extra_args",
            tip=_("Passed to tensorboard as they are, e.g. --samples_per_plugin "
                  "images=100"))
        reload_interval = self.create_spinbox(
            _("Reload logs every"), _("seconds"), "reload_interval",
            min_=1, max_=3600, step=1)
        for widget in (self.host_edit, self.host_warning, port_auto, port,
                       extra_args, reload_interval):
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
        depth.setEnabled(self.get_option("autodetect", True))
        watching = self.create_checkbox(
            _("Watch log files for changes"), "file_watching",
            tip=_("Uses the operating system's file notifications; polling "
                  "below also catches network drives"))
        poll = self.create_spinbox(
            _("Check for new events every"), _("seconds"), "poll_interval",
            min_=1, max_=600, step=1)
        for widget in (autodetect, depth, watching, poll):
            discovery_layout.addWidget(widget)
        discovery_group.setLayout(discovery_layout)

        layout = QVBoxLayout()
        for group in (interpreter_group, server_group, open_group,
                      discovery_group):
            layout.addWidget(group)
        layout.addStretch(1)
        self.setLayout(layout)
        self._update_host_warning(self.get_option("host", "127.0.0.1"))

    def _update_host_warning(self, text):
        self.host_warning.setVisible(text.strip() not in LOOPBACK_HOSTS)
