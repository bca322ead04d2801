"""Widgets of the TensorBoard Logs pane."""
