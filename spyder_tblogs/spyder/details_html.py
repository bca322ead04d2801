"""HTML of the details area: what the index knows about a node.

Plain functions, kept apart from the widgets so that extensions can reuse
the pieces (e.g. to add a section for the run a console is writing to).
"""

from __future__ import annotations

import html
import time
from collections import defaultdict

from spyder.api.translations import _
from spyder.utils.palette import SpyderPalette

from spyder_tblogs.spyder.formatting import (
    SEVERITY_ORDER, format_age, format_size)
from spyder_tblogs.spyder.tree_nodes import NodeKind

# The colours of the tree's severity icons.
SEVERITY_COLORS = {"error": SpyderPalette.COLOR_ERROR_1,
                   "warning": SpyderPalette.COLOR_WARN_2,
                   "info": SpyderPalette.GROUP_9}

# Beyond this many tags per kind the list is cut (with a note): a run with
# thousands of tags would otherwise produce a page nobody can read.
MAX_TAGS_PER_KIND = 200


def _escape(value) -> str:
    return html.escape(str(value))


def _timestamp(value) -> str:
    if not value:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))


def _steps(first, last) -> str:
    if first is None and last is None:
        return ""
    if first == last:
        return f"{first:,}"
    return f"{first:,} – {last:,}"


def _format_value(value) -> str:
    if value is None:
        return ""
    try:
        return f"{value:.6g}"
    except (TypeError, ValueError):
        return _escape(value)


def diagnostics_html(diagnostics) -> str:
    """Every diagnostic in full, most severe first."""
    if not diagnostics:
        return ""
    rows = []
    for diagnostic in sorted(
            diagnostics,
            key=lambda d: -SEVERITY_ORDER.get(d.severity, -1)):
        color = SEVERITY_COLORS.get(diagnostic.severity,
                                    SpyderPalette.COLOR_TEXT_2)
        files = ""
        if diagnostic.files:
            files = "<br><small>" + ", ".join(
                _escape(name) for name in diagnostic.files) + "</small>"
        rows.append(
            f"<li><b style='color:{color}'>{_escape(diagnostic.severity)}"
            f"</b> <code>{_escape(diagnostic.code)}</code>: "
            f"{_escape(diagnostic.message)}{files}</li>")
    return (f"<h4>{_('Diagnostics')}</h4><ul>" + "".join(rows) + "</ul>")


def file_html(info) -> str:
    """Decoded name and reading state of one event file."""
    rows = [
        (_("Path"), _escape(info.path)),
        (_("Host"), _escape(info.host or "")),
        (_("PID"), _escape(info.pid if info.pid is not None else "")),
        (_("Created"), _timestamp(info.created)),
        (_("Suffix"), _escape(info.suffix or "")),
        (_("Size"), format_size(info.size)),
        (_("Last written"), f"{_timestamp(info.mtime)} "
                            f"({format_age(info.mtime)})"),
        (_("Events"), f"{info.events:,}"),
        (_("Steps"), _steps(info.first_step, info.last_step)),
    ]
    if info.corrupt_records:
        rows.append((_("Corrupt records"), f"{info.corrupt_records:,}"))
    if info.partial_tail_bytes:
        rows.append((_("Incomplete tail"),
                     _("{} bytes (still being written?)").format(
                         info.partial_tail_bytes)))
    if info.error:
        rows.append((_("Error"), f"<b>{_escape(info.error)}</b>"))
    body = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>"
                   for k, v in rows)
    return f"<h3>{_escape(info.name)}</h3><table>{body}</table>"


def tags_html(tags) -> str:
    """Tags of a run grouped by kind (plugin)."""
    if not tags:
        return f"<p><i>{_('No tags yet.')}</i></p>"
    by_kind = defaultdict(list)
    for tag in tags.values():
        by_kind[tag.kind].append(tag)
    parts = []
    for kind in sorted(by_kind):
        tag_list = sorted(by_kind[kind], key=lambda t: t.tag)
        scalar = kind == "scalars"
        header = (f"<tr><th align='left'>{_('Tag')}</th>"
                  f"<th align='right'>{_('Steps')}</th>"
                  f"<th align='right'>{_('Count')}</th>"
                  + (f"<th align='right'>{_('Last value')}</th>"
                     if scalar else "") + "</tr>")
        rows = []
        for tag in tag_list[:MAX_TAGS_PER_KIND]:
            rows.append(
                f"<tr><td>{_escape(tag.tag)}</td>"
                f"<td align='right'>{_steps(tag.first_step, tag.last_step)}"
                f"</td><td align='right'>{tag.count:,}</td>"
                + (f"<td align='right'>{_format_value(tag.last_value)}</td>"
                   if scalar else "") + "</tr>")
        more = ""
        if len(tag_list) > MAX_TAGS_PER_KIND:
            more = "<p><i>" + _("… and {} more").format(
                len(tag_list) - MAX_TAGS_PER_KIND) + "</i></p>"
        parts.append(
            f"<h4>{_escape(kind)} ({len(tag_list)})</h4>"
            f"<table cellspacing='4'>{header}{''.join(rows)}</table>{more}")
    return "".join(parts)


def run_html(node) -> str:
    """Details of a run node: files, tags by kind, diagnostics."""
    run = node.run
    files = "".join(
        f"<tr><td>{_escape(f.name)}</td><td>{_escape(f.host or '')}</td>"
        f"<td align='right'>{_escape(f.pid if f.pid is not None else '')}"
        f"</td><td>{_timestamp(f.created)}</td>"
        f"<td align='right'>{format_size(f.size)}</td>"
        f"<td align='right'>{f.events:,}</td>"
        f"<td>{_steps(f.first_step, f.last_step)}</td></tr>"
        for f in run.files)
    files_table = (
        f"<h4>{_('Event files')} ({len(run.files)})</h4><table "
        f"cellspacing='4'><tr><th align='left'>{_('File')}</th>"
        f"<th align='left'>{_('Host')}</th><th>{_('PID')}</th>"
        f"<th align='left'>{_('Created')}</th><th>{_('Size')}</th>"
        f"<th>{_('Events')}</th><th align='left'>{_('Steps')}</th></tr>"
        f"{files}</table>")
    summary = (
        f"<h3>{_('Run')} {_escape(run.name)}</h3>"
        f"<p>{_escape(run.path)}<br>"
        + _("Last written {}").format(
            f"{_timestamp(run.last_modified)} ({format_age(run.last_modified)})")
        + "</p>")
    return (summary + diagnostics_html(run.diagnostics) + files_table
            + f"<h4>{_('Tags')}</h4>" + tags_html(run.tags))


def root_html(node) -> str:
    """Details of a log root."""
    origin = {
        "auto": _("found in the project"),
        "added": _("added by you"),
        "workdir": _("found in the working directory"),
    }.get(node.origin, node.origin or "")
    state = node.message or (
        _("{} runs").format(node.run_count) if node.loaded else _("indexing…"))
    return (f"<h3>{_escape(node.root_path)}</h3>"
            f"<p>{_('Log directory')} ({_escape(origin)}): {_escape(state)}</p>"
            + diagnostics_html(node.diagnostics))


def folder_html(node) -> str:
    """Details of a folder that only holds nested runs."""
    return (f"<h3>{_escape(node.run_name)}</h3><p>"
            + _("Folder with {} nested entries.").format(len(node.children))
            + "</p>")


def node_html(node) -> str:
    """Details of any node."""
    if node is None:
        return ""
    if node.kind == NodeKind.Root:
        return root_html(node)
    if node.kind == NodeKind.File:
        return file_html(node.file)
    if node.is_run:
        return run_html(node)
    return folder_html(node)


def console_html(console_label, ownership, hint=None) -> str:
    """Whether the current console writes a run, and why data may lag.

    Parameters
    ----------
    console_label : str
        "Console 1/A · paused in debugger".
    ownership : RunOwnership
        From :func:`spyder_tblogs.logs.ownership.run_ownership`.
    hint : str, optional
        :func:`~spyder_tblogs.logs.ownership.flush_hint` for the run.

    Returns
    -------
    str
        Empty when the run is not the console's.
    """
    if ownership is None or not ownership.owned:
        return ""
    text = (f"<h4>{_('Written by this console')}: {_escape(console_label)}"
            f"</h4><p>{_escape(ownership.reason)}</p>")
    if hint:
        color = SEVERITY_COLORS["info"]
        text += f"<p style='color:{color}'><b>{_escape(hint)}</b></p>"
    return text
