"""Small file helpers shared by checkpoints, caches, results and commands: atomic writes, output checks, hashing."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from qcnn_tl.errors import QcnnTlError

if TYPE_CHECKING:  # torch is imported only by the helpers that hash tensors: backends stay torch-free
    import torch


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Writes a file through ``write(handle)`` into a temporary file, then renames it into place.

    A crash or interrupt leaves either the old file or the new one, never a truncated one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_writable(path: str | os.PathLike[str], what: str, *, folder: bool = False) -> Path:
    """Makes sure an output can be written before any work is done: creates the folder, probes it.

    Args:
        path: A file to be written, or with ``folder=True`` a folder to write into.
        what: The option or argument that named ``path`` (``"--out"``), for the message.
        folder: Whether ``path`` is a folder rather than a file.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: Naming ``what``, the path and the reason, if the folder cannot be created or written
            into, or a file path names a folder.

    >>> check_writable("/proc/qcnn_tl/out.json", "--out")
    Traceback (most recent call last):
    ...
    ValueError: --out /proc/qcnn_tl/out.json: cannot create the folder /proc/qcnn_tl (No such file or directory)
    """
    target = Path(path)
    directory = target if folder else target.parent
    if not folder and target.is_dir():
        raise ValueError(f"{what} {target}: is a folder; expected a file path")
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{what} {target}: {directory} is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{what} {target}: cannot create the folder {directory} ({exc.strerror})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".qcnn_tl-write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{what} {target}: cannot write into {directory} ({exc.strerror})") from None
    if not folder and target.exists() and not os.access(target, os.W_OK):
        raise ValueError(f"{what} {target}: the file exists and is read-only")
    return target


def create_exclusive(path: str | os.PathLike[str], data: bytes) -> bool:
    """Creates ``path`` with ``data`` only if it does not exist yet (atomically); returns whether it did."""
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return True


@contextmanager
def folder_lock(folder: str | os.PathLike[str], what: str) -> Iterator[None]:
    """Holds ``folder/.lock`` (this process's id) while the block runs, so two commands never write one folder.

    A lock left by a process that no longer runs (killed) is taken over.

    Raises:
        QcnnTlError: Naming ``what`` and the other process, if a running process holds the folder.
    """
    lock = Path(folder) / ".lock"
    while not create_exclusive(lock, str(os.getpid()).encode()):
        try:
            holder = int(lock.read_text() or "0")
        except (OSError, ValueError):
            holder = 0
        if holder and pid_alive(holder):
            raise QcnnTlError(
                f"{what} {folder} is in use by another qcnn-tl process (pid {holder}); wait, or choose another"
            )
        lock.unlink(missing_ok=True)  # a stale lock
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Atomically writes ``data`` as indented JSON."""
    text = json.dumps(data, indent=2, sort_keys=False) + "\n"

    def write(handle: BinaryIO) -> None:
        handle.write(text.encode())

    return atomic_write(path, write)


def read_json_object(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """Reads a JSON file that must hold an object (a run result, a sweep description).

    Args:
        path: The file.
        what: What the file should be (``"a run result"``), for the message.

    Raises:
        QcnnTlError: Naming the file, what it should be and what it holds instead (nothing, invalid
            JSON, another JSON type), or why it cannot be read.
    """
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise QcnnTlError(f"{path}: cannot read {what} ({exc})") from None
    if not text.strip():
        raise QcnnTlError(f"{path} should hold {what} (a JSON object); it is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QcnnTlError(f"{path} should hold {what}; it is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise QcnnTlError(f"{path} should hold {what} (a JSON object); it holds a JSON {_json_kind(data)}")
    return data


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    kinds = {list: "array", str: "string", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def tensor_digest(*tensors: torch.Tensor) -> str:
    """SHA-256 over the raw bytes, shapes and dtypes of ``tensors``."""
    digest = hashlib.sha256()
    for tensor in tensors:
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{tuple(t.shape)}{t.dtype}".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions of the packages that decide a result."""
    from importlib.metadata import PackageNotFoundError, version

    names = (
        "qcnn-tl",
        "torch",
        "torchvision",
        "qiskit",
        "qiskit-aer",
        "qiskit-ibm-runtime",
        "qiskit-machine-learning",
        "numpy",
    )
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
