"""A real S3-compatible HTTP server on 127.0.0.1 for the tests: moto's.

moto's standalone server runs in a child process (``python -m moto.server``)
so a test can stop it mid-refresh and start it again on the same port, and
its request log (one line per HTTP request, on stderr) can be read back.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

__all__ = ["S3Server", "free_port", "s3_environment"]

# Credentials moto accepts (any, until its authentication is switched on).
ACCESS_KEY = "testing"
SECRET_KEY = "testing"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def s3_environment(endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
    """Environment variables that point boto3, s3fs and TensorBoard at
    ``endpoint`` (the standard chains; nothing stored anywhere)."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        # No instance-metadata lookups on a machine without network.
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class S3Server:
    """moto's S3 server in a child process on 127.0.0.1."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.process = None
        self._log = tempfile.NamedTemporaryFile(
            prefix="moto-", suffix=".log", delete=False)
        self._log.close()

    def start(self, timeout=60.0):
        log = open(self._log.name, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
             "-p", str(self.port)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("moto server exited:\n" + self.log_text())
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/",
                                       timeout=2).close()
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not answer in %s s" % timeout)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self):
        self.stop()
        try:
            os.remove(self._log.name)
        except FileNotFoundError:
            pass

    def log_text(self):
        with open(self._log.name, "rb") as stream:
            return stream.read().decode("utf-8", "replace")

    def requests(self, since=0):
        """``(method, path)`` of the HTTP requests logged after character
        ``since`` of the log (see :meth:`log_size`)."""
        text = self.log_text()[since:]
        return re.findall(r'"(GET|PUT|HEAD|POST|DELETE) ([^ ]+) HTTP', text)

    def log_size(self):
        return len(self.log_text())

    def client(self, **credentials):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=credentials.get("access_key", ACCESS_KEY),
            aws_secret_access_key=credentials.get("secret_key", SECRET_KEY))

    def upload_tree(self, local_root, bucket, prefix=""):
        """Upload every file under ``local_root`` to ``s3://bucket/prefix``."""
        client = self.client()
        for folder, _, names in os.walk(local_root):
            for name in names:
                path = os.path.join(folder, name)
                key = os.path.relpath(path, local_root).replace(os.sep, "/")
                if prefix:
                    key = prefix.rstrip("/") + "/" + key
                client.upload_file(path, bucket, key)
