"""Packaging for spyder-tblogs."""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent


def read_version():
    """Read ``__version__`` without importing the package (it needs Spyder)."""
    text = (HERE / "spyder_tblogs" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


# Run requirements. conda-recipe/meta.yaml lists the same ones; a test keeps
# the two in step.
INSTALL_REQUIRES = [
    # The plugin API (SpyderDockablePlugin, PluginMainWidget, the explorers'
    # context-menu ids) is tested against Spyder 6.1 only.
    "spyder>=6.1,<6.2",
    # tensorboard's own protobufs (tensorboard.compat.proto) decode events;
    # 2.x is where that module layout is stable.
    "tensorboard>=2.12",
    "protobuf>=3.20",
    "crc32c>=2.3",
    # The export's scan checks and decodes a chunk of records at a time
    # (TensorBoard needs it as well; named because we import it).
    "numpy>=1.21",
    # The export writes a block of doubles in one call from numpy arrays
    # (a self-check at import falls back to %r if its spelling changes).
    "orjson>=3.6",
    "psutil>=5.9",
    # Where the TensorBoard instance registry lives on each platform.
    "platformdirs>=2",
    "watchdog>=2.1",
    # The TensorBoard registry's start lock on every platform (flock on
    # POSIX, msvcrt on Windows).
    "filelock>=3",
    "qtpy>=2.0",
]

# Optional features (the conda recipe lists the same packages as options).
EXTRAS = {
    # s3:// log roots: s3fs lists and reads them; boto3 is what TensorBoard's
    # TF-free S3 reader needs to serve them.
    "s3": ["s3fs>=2023.1", "boto3"],
    # gs:// log roots.
    "gcs": ["gcsfs>=2023.1"],
    # Export scalars as Parquet (pyarrow writes it incrementally).
    "parquet": ["pyarrow>=10"],
}

TEST_REQUIRES = [
    # pytest 9 breaks Spyder 6.1.8's own test fixtures.
    "pytest>=7,<9",
    "pytest-qt>=4",
    "pytest-timeout>=2",
    # Real writers for the tests: TensorFlow's tf.summary and Keras' callback,
    # and PyTorch-style logs through tensorboardX.
    # No tensorflow-cpu wheel for macOS: TensorFlow itself there (none for
    # Intel Macs on Python 3.13; scripts/check_wheels.py checks each platform).
    "tensorflow-cpu>=2.15; sys_platform != 'darwin'",
    "tensorflow>=2.15; sys_platform == 'darwin' and "
    "(platform_machine == 'arm64' or python_version < '3.13')",
    "tensorboardX>=2.6",
    # Property-based fuzzing of the reader (tests/logs/test_logs_fuzz.py).
    "hypothesis>=6",
    # The Parquet export is tested too.
    "pyarrow>=10",
    # Remote log roots against moto's real S3 server on 127.0.0.1; boto3 is
    # also what TensorBoard's TF-free S3 reader uses.
    "s3fs>=2023.1",
    "boto3",
    "moto[server]>=5",
    # Renders conda-recipe/meta.yaml in a test.
    "jinja2",
    "pyyaml",
    # IPython 9.18 breaks spyder-kernels 3.1.6, which the console tests drive.
    "ipython<9.18",
]

setup(
    name="spyder-tblogs",
    version=read_version(),
    description=(
        "Spyder pane for TensorBoard logs: live run and event-file browser, "
        "diagnostics, and a managed TensorBoard"
    ),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(include=["spyder_tblogs", "spyder_tblogs.*"]),
    python_requires=">=3.9",
    install_requires=INSTALL_REQUIRES,
    extras_require=dict(EXTRAS, test=TEST_REQUIRES),
    entry_points={
        "console_scripts": ["spyder-tblogs = spyder_tblogs.__main__:main"],
        "spyder.plugins": ["tblogs = spyder_tblogs.spyder.plugin:TBLogs"],
    },
    classifiers=[
        "Framework :: Spyder",
        "Intended Audience :: Science/Research",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
