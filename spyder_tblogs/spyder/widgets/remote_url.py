"""Ask the user for the URL of a remote log directory."""

from typing import Optional

from qtpy.QtWidgets import QInputDialog, QLineEdit, QMessageBox
from spyder.api.translations import _

from spyder_tblogs.logs.remote import is_remote


def ask_remote_url(parent, text: str = "s3://") -> Optional[str]:
    """The URL typed (``s3://bucket/prefix``...); ``None`` if the user gave
    up.

    Only its form is checked here: whether this environment can read the
    protocol (a package to import, such as s3fs) and the bucket (network,
    credentials) is found out by the index worker, off the GUI thread, and
    shown on the root's row.
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
        if is_remote(url):
            return url.rstrip("/")
        QMessageBox.warning(
            parent, _("Add remote log directory"),
            _("Not a URL: use Add log directory for a folder"))
        text = url
