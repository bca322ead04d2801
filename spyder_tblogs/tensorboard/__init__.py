"""Qt-free management of TensorBoard server processes."""
