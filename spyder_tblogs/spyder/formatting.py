"""Formatting shared by the tree and the details: sizes, ages, severities."""

from __future__ import annotations

import time
from typing import Optional

from spyder.api.translations import _

from spyder_tblogs.logs.diagnostics import SEVERITIES

# Diagnostic severities, least to most severe.
SEVERITY_ORDER = {name: rank for rank, name in enumerate(SEVERITIES)}


def format_size(size: Optional[int]) -> str:
    """Human-readable byte count."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def format_age(timestamp: Optional[float], now: Optional[float] = None) -> str:
    """Say how long ago ``timestamp`` was ("just now", "2 min ago", ...)."""
    if not timestamp:
        return ""
    now = time.time() if now is None else now
    seconds = max(0.0, now - timestamp)
    if seconds < 10:
        return _("just now")
    if seconds < 60:
        return _("{} s ago").format(int(seconds))
    if seconds < 3600:
        return _("{} min ago").format(int(seconds // 60))
    if seconds < 86400:
        return _("{} h ago").format(int(seconds // 3600))
    days = int(seconds // 86400)
    if days < 30:
        return _("{} days ago").format(days) if days > 1 else _("1 day ago")
    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def worst_severity(diagnostics) -> Optional[str]:
    """The most severe severity among ``diagnostics`` (None if empty)."""
    worst = None
    for diagnostic in diagnostics:
        if worst is None or (SEVERITY_ORDER.get(diagnostic.severity, 0)
                             > SEVERITY_ORDER.get(worst, 0)):
            worst = diagnostic.severity
    return worst
