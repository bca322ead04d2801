"""Qt-free reading and indexing of TensorBoard log directories."""
