r"""Where a task's samples come from: a torchvision dataset, an image folder or arrays (docs/howto/own_data.md).

A source is named by one string, the ``--dataset`` of every command:

=========================  ==============================================================================
``mnist`` (default)        any torchvision classification dataset by its lower-case name, read from the
``fashion_mnist``          data root in torchvision's layout (``kmnist``, ``qmnist``, ``emnist:<split>``,
``cifar10`` …              ``cifar10``, ``cifar100``, ``svhn``, ``usps``); ``--download`` as for MNIST
``imagefolder:DIR``        one sub-folder of images per class; ``DIR/train`` and ``DIR/test``, or a single
                           folder split by a seeded, stratified held-out fraction (:data:`HOLDOUT`)
``arrays:FILE.npz``        ``x_train, y_train, x_test, y_test`` (images ``(N, H, W)``/``(N, C, H, W)`` or
                           ready-made features ``(N, F)``), optional ``classes``
=========================  ==============================================================================

:func:`load_source` returns every split at once as :class:`LabelledData`: images as float32 in
:math:`[0, 1]` (``(N, C, H, W)``) or features (``(N, F)``), integer class indices, and the class names.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torchvision import datasets

from qcnn_tl.data.datasets import DATA_ENV, load_images, resolve_data_dir
from qcnn_tl.errors import QcnnTlError

__all__ = ["HOLDOUT", "TORCHVISION_DATASETS", "LabelledData", "load_source", "parse_source"]

SampleKind = Literal["images", "features"]

TORCHVISION_DATASETS: dict[str, str] = {
    "mnist": "MNIST",
    "fashion_mnist": "FashionMNIST",
    "kmnist": "KMNIST",
    "qmnist": "QMNIST",
    "emnist": "EMNIST",
    "cifar10": "CIFAR10",
    "cifar100": "CIFAR100",
    "svhn": "SVHN",
    "usps": "USPS",
}
"""Torchvision datasets by their ``--dataset`` name (``emnist`` takes a split: ``emnist:letters``)."""

HOLDOUT: tuple[float, int] = (0.2, 0)
"""Held-out test fraction and seed of an image folder without ``train``/``test`` sub-folders."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


@dataclass(frozen=True)
class LabelledData:
    """Both splits of a source.

    Attributes:
        name: The source's ``--dataset`` string.
        kind: ``"images"`` (``(N, C, H, W)`` float32 in [0, 1]) or ``"features"`` (``(N, F)``).
        train_x: Training samples.
        train_y: Training class indices ``(N,)`` (int64).
        test_x: Test samples.
        test_y: Test class indices.
        classes: Class names, by index.
        split: How train and test were separated (``"given"``, or the held-out fraction and seed).
        fingerprint: SHA-256 of the name and, for an image folder or arrays, of the samples and labels of both
            splits (keys the feature cache).
    """

    name: str
    kind: SampleKind
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]
    split: str = "given"
    fingerprint: str = field(default="", compare=False)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample (``(C, H, W)`` or ``(F,)``)."""
        return tuple(self.train_x.shape[1:])


def parse_source(name: str) -> tuple[str, str]:
    """Splits a ``--dataset`` string into its kind and argument, checking the form (not the files).

    Returns:
        ``("torchvision", "<name>[:<split>]")``, ``("imagefolder", DIR)`` or ``("arrays", FILE)``.

    Raises:
        ValueError: On an unknown dataset or a missing argument, listing the valid forms.

    >>> parse_source("fashion_mnist"), parse_source("imagefolder:photos")
    (('torchvision', 'fashion_mnist'), ('imagefolder', 'photos'))
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset must be a non-empty string; got {name!r}")
    kind, sep, argument = name.partition(":")
    if kind in ("imagefolder", "arrays"):
        if not argument:
            raise ValueError(f"dataset {name!r} needs a path: {kind}:{'DIR' if kind == 'imagefolder' else 'FILE.npz'}")
        return kind, argument
    if kind in TORCHVISION_DATASETS and (kind == "emnist") == bool(sep and argument):
        return "torchvision", name
    valid = ", ".join(n if n != "emnist" else "emnist:<split>" for n in TORCHVISION_DATASETS)
    raise ValueError(f"unknown dataset {name!r}; expected one of {valid}, imagefolder:DIR or arrays:FILE.npz")


def load_source(name: str, *, data_dir: str | os.PathLike[str] | None = None, download: bool = False) -> LabelledData:
    """Loads both splits of a source.

    Args:
        name: The ``--dataset`` string (see the module docstring).
        data_dir: Root of the torchvision datasets (:func:`~qcnn_tl.data.datasets.resolve_data_dir`);
            ``imagefolder:``/``arrays:`` paths are used as given.
        download: Let torchvision download missing files.

    Raises:
        ValueError: On a malformed name.
        QcnnTlError: Naming the source, if its files are missing or unreadable, a class is empty, there are
            fewer than two classes, lengths disagree, labels fall outside the classes or values are not finite.
    """
    kind, argument = parse_source(name)
    if kind == "torchvision":
        data = _torchvision(argument, data_dir, download)
    elif kind == "imagefolder":
        data = _image_folder(name, Path(argument))
    else:
        data = _arrays(name, Path(argument))
    _check(data)
    return _with_fingerprint(data)


def _torchvision(name: str, data_dir: str | os.PathLike[str] | None, download: bool) -> LabelledData:
    base, _, split = name.partition(":")
    cls = getattr(datasets, TORCHVISION_DATASETS[base])
    if base in ("mnist", "fashion_mnist"):
        train_x, train_y = load_images(base, "train", data_dir=data_dir, download=download)  # type: ignore[arg-type]
        test_x, test_y = load_images(base, "test", data_dir=data_dir, download=download)  # type: ignore[arg-type]
        return LabelledData(name, "images", train_x, train_y, test_x, test_y, tuple(cls.classes))
    root = resolve_data_dir(data_dir)
    parts, classes = [], None
    for train in (True, False):
        kwargs: dict[str, Any] = {"train": train}
        if base == "svhn":
            kwargs = {"split": "train" if train else "test"}
        elif base == "emnist":
            kwargs["split"] = split
        try:
            dataset = cls(root=str(root), download=download, **kwargs)
        except (RuntimeError, ValueError, OSError) as exc:
            hint = "" if download else f" Pass --data-dir (or set {DATA_ENV}) to its root, or add --download."
            raise QcnnTlError(f"cannot read dataset {name!r} under {root}: {exc}.{hint}") from exc
        parts.append(_dataset_tensors(dataset))
        classes = classes or getattr(dataset, "classes", None)
    (train_x, train_y), (test_x, test_y) = parts
    names = classes or [str(c) for c in range(int(train_y.max()) + 1)]
    return LabelledData(name, "images", train_x, train_y, test_x, test_y, tuple(str(c) for c in names))


def _dataset_tensors(dataset: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, C, H, W)`` in [0, 1] and class labels ``(N,)`` of a torchvision dataset, from its arrays.

    QMNIST keeps eight columns of metadata per image in ``targets``; the first is the class.
    """
    data = dataset.data
    array = data.numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
    labels = np.asarray(dataset.targets if hasattr(dataset, "targets") else dataset.labels)
    if labels.ndim == 2:
        labels = labels[:, 0]
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3) and array.shape[1] not in (1, 3):
        array = array.transpose(0, 3, 1, 2)
    images = torch.from_numpy(np.ascontiguousarray(array)).to(torch.float32)
    if array.dtype == np.uint8:
        images /= 255.0
    return images, torch.as_tensor(labels, dtype=torch.int64)


def _image_folder(name: str, root: Path) -> LabelledData:
    if not root.is_dir():
        raise QcnnTlError(f"dataset {name!r}: {root} is not a folder")
    if (root / "train").is_dir() and (root / "test").is_dir():
        train_files, classes = _class_files(name, root / "train")
        test_files, test_classes = _class_files(name, root / "test")
        if test_classes != classes:
            raise QcnnTlError(
                f"dataset {name!r}: {root / 'test'} has classes {list(test_classes)} but {root / 'train'} has "
                f"{list(classes)}; both need the same class sub-folders"
            )
        split = "given"
    else:
        files, classes = _class_files(name, root)
        fraction, seed = HOLDOUT
        train_files, test_files = _stratified_split(files, fraction, seed)
        split = f"held-out {fraction:g} of each class, seed {seed}"
    train_x, train_y = _read_images(name, train_files)
    test_x, test_y = _read_images(name, test_files)
    if train_x.shape[1:] != test_x.shape[1:]:
        raise QcnnTlError(
            f"dataset {name!r}: train images are {tuple(train_x.shape[1:])}, test {tuple(test_x.shape[1:])}"
        )
    return LabelledData(name, "images", train_x, train_y, test_x, test_y, classes, split)


def _class_files(name: str, folder: Path) -> tuple[list[tuple[Path, int]], tuple[str, ...]]:
    classes = tuple(sorted(p.name for p in folder.iterdir() if p.is_dir()))
    if len(classes) < 2:
        raise QcnnTlError(
            f"dataset {name!r}: {folder} needs one sub-folder of images per class (at least two); found {len(classes)}"
        )
    files: list[tuple[Path, int]] = []
    for index, cls in enumerate(classes):
        images = sorted(p for p in (folder / cls).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise QcnnTlError(
                f"dataset {name!r}: class folder {folder / cls} holds no images ({', '.join(IMAGE_SUFFIXES)})"
            )
        files += [(path, index) for path in images]
    return files, classes


def _stratified_split(
    files: list[tuple[Path, int]], fraction: float, seed: int
) -> tuple[list[tuple[Path, int]], list[tuple[Path, int]]]:
    """Holds out ``fraction`` of each class (at least one sample, at least one left) by a seeded permutation."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in sorted({label for _, label in files}):
        members = [f for f in files if f[1] == label]
        if len(members) < 2:
            raise QcnnTlError(f"class folder {members[0][0].parent} has one image; a held-out split needs two")
        order = rng.permutation(len(members))
        held = min(max(1, round(fraction * len(members))), len(members) - 1)
        test += [members[i] for i in sorted(order[:held])]
        train += [members[i] for i in sorted(order[held:])]
    return train, test


def _read_images(name: str, files: list[tuple[Path, int]]) -> tuple[torch.Tensor, torch.Tensor]:
    from PIL import Image, UnidentifiedImageError

    arrays = []
    for path, _ in files:
        try:
            with Image.open(path) as image:
                mode = "L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"
                arrays.append(np.asarray(image.convert(mode)))
        except (UnidentifiedImageError, OSError) as exc:
            raise QcnnTlError(f"dataset {name!r}: cannot read image {path}: {exc}") from exc
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise QcnnTlError(
            f"dataset {name!r}: images differ in size or channels ({', '.join(map(str, sorted(shapes)))}); "
            "resize them to one size"
        )
    stack = np.stack(arrays)
    stack = stack[:, None] if stack.ndim == 3 else stack.transpose(0, 3, 1, 2)
    images = torch.from_numpy(np.ascontiguousarray(stack)).to(torch.float32) / 255.0
    return images, torch.tensor([label for _, label in files], dtype=torch.int64)


def _arrays(name: str, path: Path) -> LabelledData:
    if not path.is_file():
        raise QcnnTlError(f"dataset {name!r}: file {path} not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        raise QcnnTlError(f"dataset {name!r}: {path} is not a readable .npz file: {exc}") from exc
    missing = [key for key in ("x_train", "y_train", "x_test", "y_test") if key not in arrays]
    if missing:
        raise QcnnTlError(f"dataset {name!r}: {path} lacks {', '.join(missing)} (has {', '.join(arrays) or 'nothing'})")
    samples: dict[str, torch.Tensor] = {}
    for key in ("x_train", "x_test"):
        x = arrays[key]
        if x.dtype.kind not in "iuf" or x.ndim not in (2, 3, 4):
            raise QcnnTlError(
                f"dataset {name!r}: {key} must be numeric features (N, F) or images (N, H, W)/(N, C, H, W); "
                f"got dtype {x.dtype}, shape {x.shape}"
            )
        tensor = torch.from_numpy(np.ascontiguousarray(x)).to(torch.float32)
        if x.dtype == np.uint8 and x.ndim > 2:
            tensor /= 255.0
        samples[key] = tensor[:, None] if x.ndim == 3 else tensor
    labels = {}
    for key in ("y_train", "y_test"):
        y = arrays[key]
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise QcnnTlError(
                f"dataset {name!r}: {key} must be integer class indices (N,); got dtype {y.dtype}, shape {y.shape}"
            )
        labels[key] = torch.from_numpy(y.astype(np.int64))
    num_classes = int(max(labels["y_train"].max(), labels["y_test"].max())) + 1 if len(labels["y_train"]) else 0
    if "classes" in arrays:
        classes = tuple(str(c) for c in arrays["classes"].tolist())
    else:
        classes = tuple(str(c) for c in range(num_classes))
    kind: SampleKind = "features" if samples["x_train"].ndim == 2 else "images"
    return LabelledData(name, kind, samples["x_train"], labels["y_train"], samples["x_test"], labels["y_test"], classes)


def _check(data: LabelledData) -> None:
    """The checks every source passes: lengths, label range, finite values, two classes, same sample shape."""
    prefix = f"dataset {data.name!r}"
    if len(data.classes) < 2:
        raise QcnnTlError(f"{prefix} has {len(data.classes)} class; a task needs at least two")
    for split, x, y in (("train", data.train_x, data.train_y), ("test", data.test_x, data.test_y)):
        if len(x) != len(y):
            raise QcnnTlError(f"{prefix}: x_{split} has {len(x)} samples but y_{split} has {len(y)} labels")
        if len(x) == 0:
            raise QcnnTlError(f"{prefix}: the {split} split is empty")
        if int(y.min()) < 0 or int(y.max()) >= len(data.classes):
            raise QcnnTlError(
                f"{prefix}: y_{split} holds labels outside 0..{len(data.classes) - 1} "
                f"(the {len(data.classes)} classes); got {int(y.min())}..{int(y.max())}"
            )
        if not torch.isfinite(x).all():
            raise QcnnTlError(f"{prefix}: x_{split} contains NaN or infinite values")
    if data.train_x.shape[1:] != data.test_x.shape[1:]:
        raise QcnnTlError(
            f"{prefix}: train samples have shape {tuple(data.train_x.shape[1:])}, test {tuple(data.test_x.shape[1:])}"
        )


def _with_fingerprint(data: LabelledData) -> LabelledData:
    digest = hashlib.sha256(data.name.encode())
    if parse_source(data.name)[0] != "torchvision":  # a torchvision dataset's files are fixed by its name
        for tensor in (data.train_x, data.train_y, data.test_x, data.test_y):
            digest.update(str(tuple(tensor.shape)).encode())
            digest.update(tensor.contiguous().numpy().tobytes())
    return LabelledData(
        data.name,
        data.kind,
        data.train_x,
        data.train_y,
        data.test_x,
        data.test_y,
        data.classes,
        data.split,
        digest.hexdigest(),
    )
