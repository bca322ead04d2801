"""What the tree shows for a node, column by column (no Qt).

The item model asks here for the text, tooltip and icon of a cell; the
values are computed from the node's stored snapshot when painted.
"""

from __future__ import annotations

import time

from spyder.api.translations import _

from spyder_tblogs.spyder.formatting import (
    format_age, format_size, worst_severity)
from spyder_tblogs.spyder.tree_nodes import NodeKind


class Column:
    """Column numbers of the tree."""

    Name = 0
    LastStep = 1
    Events = 2
    Size = 3
    LastWritten = 4
    Status = 5


COLUMN_TITLES = (
    _("Name"), _("Last step"), _("Events"), _("Size"), _("Last written"),
    _("Status"),
)


# Icons of the tree (``ima`` names), by what they mark.
ICON_NAMES = ("error", "warning", "information", "hist", "DirClosedIcon",
              "DirOpenIcon", "FileIcon", "run")
_SEVERITY_ICONS = {"error": "error", "warning": "warning",
                   "info": "information"}


def display_text(node, column, live):
    """Text of a cell."""
    if column == Column.Name:
        return node.root_path if node.kind == NodeKind.Root else node.name
    if node.kind == NodeKind.Root:
        if column == Column.Status:
            return _root_status(node)
        return None
    if node.kind == NodeKind.Path and node.run_row is None:
        return None
    if column == Column.LastStep:
        return "" if node.last_step is None else f"{node.last_step:,}"
    if column == Column.Events:
        return "" if node.events is None else f"{node.events:,}"
    if column == Column.Size:
        return format_size(node.size)
    if column == Column.LastWritten:
        return format_age(node.modified)
    if column == Column.Status:
        return _status_text(node, live)
    return None


def _root_status(node):
    if node.message:
        return node.message
    if node.diagnostics:
        return node.diagnostics[0].message
    if not node.loaded:
        return _("indexing…")
    if node.run_count == 1:
        return _("1 run")
    return _("{} runs").format(node.run_count)


def _status_text(node, live):
    parts = []
    if live:
        parts.append(_("live"))
    if node.kind == NodeKind.File and node.file.error:
        parts.append(node.file.error)
    elif node.diagnostics:
        count = len(node.diagnostics)
        parts.append(node.diagnostics[0].code if count == 1
                     else _("{} issues").format(count))
    return ", ".join(parts)


def tooltip_text(node, column, live, live_seconds):
    """Tooltip of a cell."""
    if column == Column.Name:
        return node.path
    if column == Column.Status:
        if node.kind == NodeKind.File and node.file.error:
            return node.file.error
        if node.message:
            return node.message
        if node.diagnostics:
            return "\n\n".join(
                f"[{d.severity}] {d.message}" for d in node.diagnostics)
        if live:
            return _("Written within the last {} s").format(
                int(live_seconds))
    if column == Column.LastWritten and node.modified:
        return time.strftime(
            "%Y-%m-%d %H:%M:%S", time.localtime(node.modified))
    return None


def icon_name(node, column, live):
    """``ima`` name of a cell's icon, or None."""
    if column == Column.Name:
        if node.kind == NodeKind.Root:
            return "hist"
        if node.kind == NodeKind.File:
            return "FileIcon"
        return "DirOpenIcon" if node.run_row is not None \
            else "DirClosedIcon"
    if column == Column.Status:
        if node.kind == NodeKind.File and node.file.error:
            return "error"
        if node.kind == NodeKind.Root and node.message:
            return "error"
        severity = worst_severity(node.diagnostics)
        if severity is not None:
            return _SEVERITY_ICONS.get(severity, "information")
        if node.kind != NodeKind.Root and live:
            return "run"
    return None
