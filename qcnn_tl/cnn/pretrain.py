"""Pre-training the CNN on a source dataset, Fashion-MNIST by default (docs/method.md, *CNN*): Adam, batch 32."""

from __future__ import annotations

import copy
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from qcnn_tl._progress import progress_bar
from qcnn_tl._validate import check_settings, is_positive_int
from qcnn_tl.cnn.backbone import CNN_INPUT, prepare_images
from qcnn_tl.cnn.checkpoint import CNNCheckpoint, load_checkpoint, save_checkpoint
from qcnn_tl.cnn.model import FeatureCNN
from qcnn_tl.cnn.shipped import install_shipped, shipped_entry
from qcnn_tl.data.datasets import default_cache_dir
from qcnn_tl.data.sources import load_source, parse_source
from qcnn_tl.errors import QcnnTlError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainConfig:
    """Settings of CNN pre-training.

    Attributes:
        num_features: Feature width ``F``: what the encoding takes (256 amplitude, 8 angle, 12 to 32 for the
            other encodings); each width is a separate cached checkpoint.
        epochs: Training epochs (paper: 5).
        batch_size: Mini-batch size (Keras default 32).
        lr: Adam learning rate (Keras default 1e-3).
        seed: Torch seed for initialisation and shuffling.
        train_subset: Use only the first N training images (``None``: all 60,000).
        test_subset: Evaluate on the first N test images (``None``: all 10,000).
        dataset: The source dataset (a ``--dataset`` name, :mod:`qcnn_tl.data.sources`); its images are
            brought to 1×28×28.
    """

    num_features: int = 256
    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    seed: int = 0
    train_subset: int | None = None
    test_subset: int | None = None
    dataset: str = "fashion_mnist"

    def __post_init__(self) -> None:
        parse_source(self.dataset)
        check_settings(self, positive_ints=("num_features", "epochs", "batch_size"), positive=("lr",))
        for name in ("train_subset", "test_subset"):
            value = getattr(self, name)
            if value is not None and not is_positive_int(value):
                raise ValueError(f"{name} must be a positive integer or None; got {value!r}")

    def cache_name(self) -> str:
        """File name of this configuration's cached checkpoint."""
        subset = "" if self.train_subset is None else f"_n{self.train_subset}"
        prefix = "fashion" if self.dataset == "fashion_mnist" else _file_safe(self.dataset)
        return f"{prefix}_cnn_F{self.num_features}_e{self.epochs}_s{self.seed}{subset}.pt"


def _file_safe(name: str) -> str:
    """``name`` as a file-name part: ``imagefolder:/a/b`` → ``imagefolder-<hash>``."""
    kind, _, argument = name.partition(":")
    if kind in ("imagefolder", "arrays"):
        return f"{kind}-{hashlib.sha256(str(Path(argument).resolve()).encode()).hexdigest()[:12]}"
    return name.replace(":", "-")


@torch.no_grad()
def classifier_accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Share of ``images`` whose highest logit of ``model`` (in eval mode) is the label: the CNN's 10-class accuracy."""
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])
        correct += int((logits.argmax(1) == labels[start : start + batch_size]).sum())
    return correct / len(images)


def pretrain(
    config: PretrainConfig,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    out: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> CNNCheckpoint:
    """Trains the CNN on ``config.dataset`` and saves the best-training-accuracy epoch.

    Args:
        config: Training settings.
        data_dir: Data root (see :func:`~qcnn_tl.data.datasets.resolve_data_dir`).
        download: Allow torchvision to download the source dataset.
        out: Checkpoint path (default: the user cache, named by :meth:`PretrainConfig.cache_name`).
        progress: Show a progress bar per epoch.

    Returns:
        The saved checkpoint, its model in eval mode.
    """
    torch.manual_seed(config.seed)
    source = load_source(config.dataset, data_dir=data_dir, download=download)
    if source.kind != "images":
        raise QcnnTlError(f"the CNN is pre-trained on images; dataset {config.dataset!r} holds features")
    train_x = prepare_images(source.train_x[: config.train_subset], CNN_INPUT)
    test_x = prepare_images(source.test_x[: config.test_subset], CNN_INPUT)
    train_y, test_y = source.train_y[: config.train_subset], source.test_y[: config.test_subset]
    model = FeatureCNN(config.num_features, len(source.classes))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(config.seed)
    best_acc, best_state, history = -1.0, None, []
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        correct, seen = 0, 0
        bar = progress_bar(
            range(0, len(order), config.batch_size),
            desc=f"epoch {epoch + 1}/{config.epochs}",
            disable=not progress,
            leave=True,
        )
        for start in bar:
            idx = order[start : start + config.batch_size]
            logits = model(train_x[idx])
            loss = loss_fn(logits, train_y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += int((logits.argmax(1) == train_y[idx]).sum())
            seen += len(idx)
            bar.set_postfix(loss=f"{loss.item():.3f}", acc=f"{correct / seen:.3f}", refresh=False)
        train_acc = correct / seen
        history.append(train_acc)
        if train_acc > best_acc:
            best_acc, best_state = train_acc, copy.deepcopy(model.state_dict())
    assert best_state is not None
    model.load_state_dict(best_state)
    model.eval()
    test_acc = classifier_accuracy(model, test_x, test_y)
    path = Path(out) if out is not None else default_cache_dir() / "cnn" / config.cache_name()
    return save_checkpoint(
        path,
        model,
        seed=config.seed,
        dataset=config.dataset,
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        train_samples=len(train_x),
        train_accuracy=best_acc,
        train_accuracy_per_epoch=history,
        test_accuracy=test_acc,
        test_samples=len(test_x),
    )


def ensure_pretrained(
    config: PretrainConfig,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> CNNCheckpoint:
    """Loads the cached checkpoint for ``config``; if absent, installs the shipped one or trains and caches one.

    The package ships the checkpoints behind the project's results (:mod:`qcnn_tl.cnn.shipped`): a default
    configuration of any encoding's width is installed from there, so every machine gets the same CNN; a damaged
    cached copy of one is installed again (with a warning).

    Raises:
        QcnnTlError: If a cached checkpoint that is not a shipped one is damaged (saying to delete it).
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = root / "cnn" / config.cache_name()
    if path.is_file():
        try:
            return load_checkpoint(path)
        except QcnnTlError as exc:
            if not _is_shipped(config):
                raise QcnnTlError(f"{exc}; delete it to train the CNN anew (`qcnn-tl pretrain`)") from None
            log.warning("%s; installing the shipped checkpoint again", exc)
    if _is_shipped(config):
        return load_checkpoint(install_shipped(config.cache_name(), path))
    return pretrain(config, data_dir=data_dir, download=download, out=path, progress=progress)


def _is_shipped(config: PretrainConfig) -> bool:
    """Whether the package ships the checkpoint of ``config`` (:mod:`qcnn_tl.cnn.shipped`)."""
    if config.dataset != "fashion_mnist" or config.test_subset is not None:
        return False
    settings: dict[str, object] = {"num_features": config.num_features, "epochs": config.epochs, "seed": config.seed}
    settings |= {"batch_size": config.batch_size, "lr": config.lr, "train_samples": config.train_subset or 60_000}
    return shipped_entry(config.cache_name(), settings) is not None
