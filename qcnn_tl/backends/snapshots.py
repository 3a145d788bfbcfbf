"""Versioned snapshots of fake-device data in the top-level ``noise_models/`` folder.

A fake device is its two JSON files (configuration and calibration properties) shipped inside
qiskit-ibm-runtime; Aer derives the noise model (``NoiseModel.from_backend``) and the transpiler the
``Target`` from them. A snapshot copies those files with the qiskit-ibm-runtime version and their
SHA-256, so that noisy results stay reproducible when a new release changes the fake devices' data.
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

from qcnn_tl.errors import QcnnTlError

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "noise_models"
META = "snapshot.json"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_snapshot(device_cls: type[FakeBackendV2], directory: Path = SNAPSHOT_DIR) -> Path:
    """Copies a fake device's configuration and properties into ``<directory>/<name>/``."""
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


def snapshot_backend(name: str, directory: Path = SNAPSHOT_DIR) -> BackendV2 | None:
    """The fake device rebuilt from its snapshot, or ``None`` if there is none.

    Raises:
        QcnnTlError: If the snapshot's files do not match their recorded hashes.
    """
    folder = directory / name
    if not (folder / META).is_file():
        return None
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    meta = json.loads((folder / META).read_text())
    for entry in meta["files"].values():
        if _sha256(folder / entry["file"]) != entry["sha256"]:
            raise QcnnTlError(f"noise-model snapshot {folder / entry['file']} does not match its recorded hash")
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


def list_snapshots(directory: Path = SNAPSHOT_DIR) -> list[dict]:
    """Metadata of every snapshot."""
    return [json.loads(p.read_text()) for p in sorted(directory.glob(f"*/{META}"))]
