"""Versioned snapshots of fake-device data (``noise_models/``, installed as ``qcnn_tl.noise_models``).

A fake device is its two JSON files (configuration and calibration properties) shipped inside
qiskit-ibm-runtime; Aer derives the noise model (``NoiseModel.from_backend``) and the transpiler the
``Target`` from them. A snapshot copies those files with the qiskit-ibm-runtime version and their
SHA-256, so that noisy results stay reproducible when a new release changes the fake devices' data.
Every fake device qcnn_tl runs is built from its snapshot; a device without one is an error that says how
to make one (``qcnn-tl noise-models refresh --device <name>``), never the installed release's data in
silence.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from importlib.metadata import version
from pathlib import Path

from qiskit.providers import BackendV2
from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

from qcnn_tl._paths import package_data
from qcnn_tl.errors import QcnnTlError

SNAPSHOTS = "qcnn_tl.noise_models"
"""The shipped snapshots: the package data mapped from the top-level ``noise_models/`` folder."""
META = "snapshot.json"


def snapshot_dir() -> Path:
    """The folder of the shipped snapshots."""
    return package_data(SNAPSHOTS)


def checkout_snapshot_dir() -> Path | None:
    """The repository's ``noise_models/`` when qcnn_tl runs from a checkout (an editable install), else ``None``.

    A checkout's snapshot folder sits beside ``pyproject.toml``; an installed package's sits inside ``qcnn_tl/``.
    """
    folder = snapshot_dir()
    return folder if (folder.parent / "pyproject.toml").is_file() else None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_snapshot(device_cls: type[FakeBackendV2], directory: Path) -> Path:
    """Copies a fake device's configuration and properties into ``<directory>/<name>/``.

    Args:
        device_cls: The fake device's class (from qiskit-ibm-runtime).
        directory: Where the snapshot goes (created if needed).
    """
    name = device_cls.backend_name
    folder = directory / name
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for attr in ("conf_filename", "props_filename"):
        source = Path(device_cls.dirname) / getattr(device_cls, attr)
        shutil.copyfile(source, folder / source.name)
        files[attr] = {"file": source.name, "sha256": _sha256(folder / source.name)}
    meta = {
        "device": name,
        "qiskit_ibm_runtime": version("qiskit-ibm-runtime"),
        "created": time.strftime("%Y-%m-%d"),
        "files": files,
    }
    (folder / META).write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def snapshot_backend(name: str, directory: Path | None = None) -> BackendV2:
    """The fake device ``name`` rebuilt from its snapshot in ``directory`` (default: the shipped snapshots).

    Raises:
        QcnnTlError: If there is no snapshot of ``name``, or its files are missing or do not match their
            recorded hashes.
    """
    folder = (snapshot_dir() if directory is None else directory) / name
    if not (folder / META).is_file():
        have = ", ".join(sorted(p.parent.name for p in folder.parent.glob(f"*/{META}"))) or "none"
        raise QcnnTlError(
            f"no noise-model snapshot of {name} in {folder.parent} (snapshots: {have}); make one from the "
            f"installed qiskit-ibm-runtime with `qcnn-tl noise-models refresh --device {name}`"
        )
    meta = json.loads((folder / META).read_text())
    for entry in meta["files"].values():
        path = folder / entry["file"]
        if not path.is_file():
            raise QcnnTlError(f"noise-model snapshot {folder} lacks {entry['file']}; reinstall qcnn_tl or refresh it")
        if _sha256(path) != entry["sha256"]:
            raise QcnnTlError(f"noise-model snapshot {path} does not match its recorded hash")
    cls = type(
        f"Snapshot_{name}",
        (FakeBackendV2,),
        {
            "dirname": str(folder),
            "conf_filename": meta["files"]["conf_filename"]["file"],
            "props_filename": meta["files"]["props_filename"]["file"],
            "backend_name": name,
        },
    )
    return cls()


def list_snapshots(directory: Path | None = None) -> list[dict]:
    """Metadata of every snapshot in ``directory`` (default: the shipped snapshots)."""
    folder = snapshot_dir() if directory is None else directory
    return [json.loads(p.read_text()) for p in sorted(folder.glob(f"*/{META}"))]
