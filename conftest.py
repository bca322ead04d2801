"""Root conftest: set the environment before Spyder or Qt is imported."""

import os

# Spyder uses a temporary configuration directory when this is set.
os.environ["SPYDER_PYTEST"] = "True"
# No screen on CI or developer machines.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QtWebEngine aborts the whole process offscreen unless Qt Quick renders in
# software (it finds no OpenGL context).
os.environ.setdefault("QT_QUICK_BACKEND", "software")
# QtWebEngine refuses to start as root without this.
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
