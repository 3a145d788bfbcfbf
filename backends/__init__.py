"""Run profiles (``<name>.toml``), installed as the package data ``qcnn_tl.profiles`` (see ``qcnn_tl.backends.profiles``)."""
