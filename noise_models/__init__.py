"""Versioned fake-device snapshots, installed as the package data ``qcnn_tl.noise_models`` (see ``qcnn_tl.backends.snapshots``)."""
