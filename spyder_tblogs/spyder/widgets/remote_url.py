"""Ask the user for the URL of a remote log directory."""

from typing import Optional

from qtpy.QtWidgets import QInputDialog, QLineEdit, QMessageBox
from spyder.api.translations import _

from spyder_tblogs.logs.remote import is_remote, remote_problem


def ask_remote_url(parent, text: str = "s3://") -> Optional[str]:
    """The URL typed (``s3://bucket/prefix``...), checked that this
    environment can read its scheme; ``None`` if the user gave up.

    Nothing is contacted here (credentials and the endpoint are tried by
    the index worker); a missing package is said at once, naming it.
    """
    while True:
        url, accepted = QInputDialog.getText(
            parent, _("Add remote log directory"),
            _("URL of the log directory (s3://bucket/prefix, gs://…).\n"
              "Credentials and the endpoint come from your environment "
              "(AWS_ENDPOINT_URL for an S3-compatible server); none is "
              "stored."), QLineEdit.Normal, text)
        url = url.strip()
        if not accepted or not url:
            return None
        problem = (remote_problem(url) if is_remote(url)
                   else _("not a URL: use Add log directory for a folder"))
        if problem is None:
            return url.rstrip("/")
        QMessageBox.warning(parent, _("Add remote log directory"),
                            str(problem))
        text = url
