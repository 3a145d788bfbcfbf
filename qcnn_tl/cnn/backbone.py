r"""The frozen backbone whose features feed the QCNN: the project's CNN or a model of the user's own.

A backbone is named by :class:`BackboneSpec` (``--backbone`` and its companion options):

==============================  ================================================================================
``cnn:fashion_mnist`` (default)  the project's CNN pre-trained on Fashion-MNIST (the shipped checkpoints; the
                                 paper's setting), of the encoding's feature width
``cnn:<dataset>``                the project's CNN pre-trained by the same recipe on another source dataset
                                 (``cnn:mnist``: the reverse transfer); trained once and cached
``export:FILE.pt2``              a program saved with ``torch.export.save`` (a dynamic batch dimension); its output
                                 is the feature vector
``torchscript:FILE``             a TorchScript module saved with ``torch.jit.save``; its output is the feature vector
``module:PKG.MOD:FACTORY``       ``FACTORY()`` from an importable module, with ``weights`` (a ``state_dict`` file)
                                 and ``layer`` (the named sub-module whose output, flattened, is the feature vector)
``none``                         no network: the samples are features already (``arrays:`` with ``(N, F)``)
==============================  ================================================================================

Images reach a backbone as it expects them (:func:`prepare_images`): channels repeated (1 → 3) or averaged
(3 → 1), resized bilinearly to ``input_shape`` and normalised by ``mean``/``std``; the transform is recorded
with the results. When the backbone's width differs from the encoding's, a reduction fitted on the training
split maps it (:mod:`qcnn_tl.cnn.reduction`).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qcnn_tl.cnn.checkpoint import CNNCheckpoint
from qcnn_tl.errors import QcnnTlError

__all__ = ["Backbone", "BackboneSpec", "cnn_backbone", "load_backbone", "prepare_images"]

BACKBONE_KINDS = ("cnn", "export", "torchscript", "module", "none")
CNN_INPUT: tuple[int, int, int] = (1, 28, 28)


@dataclass(frozen=True)
class BackboneSpec:
    """Names a frozen backbone (see the module docstring).

    Attributes:
        name: ``"cnn:<dataset>"``, ``"export:FILE.pt2"``, ``"torchscript:FILE"``, ``"module:PKG.MOD:FACTORY"``
            or ``"none"``.
        weights: ``state_dict`` file of a ``module:`` backbone.
        layer: Sub-module of a ``module:`` backbone whose output is the feature vector (dotted name, as
            ``named_modules`` lists it); ``None``: the model's output.
        input_shape: ``(C, H, W)`` the backbone takes; ``None``: the project CNN's ``(1, 28, 28)``, or the
            data's own shape for other backbones.
        mean: Per-channel mean subtracted after resizing (``None``: none).
        std: Per-channel standard deviation divided by after resizing (``None``: none).

    Raises:
        ValueError: On an unknown kind, a missing argument, or options the kind does not take.
    """

    name: str = "cnn:fashion_mnist"
    weights: str | None = None
    layer: str | None = None
    input_shape: tuple[int, int, int] | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("input_shape", "mean", "std"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        kind, _, argument = self.name.partition(":") if isinstance(self.name, str) else ("", "", "")
        if kind not in BACKBONE_KINDS or (kind == "none") == bool(argument):
            raise ValueError(
                "backbone must be cnn:<dataset>, export:FILE.pt2, torchscript:FILE, module:PKG.MOD:FACTORY or none; "
                f"got {self.name!r}"
            )
        if kind == "module" and argument.count(":") != 1:
            raise ValueError(
                f"backbone {self.name!r}: expected module:PKG.MOD:FACTORY (e.g. module:torchvision.models:resnet18)"
            )
        if kind == "cnn":
            from qcnn_tl.data.sources import parse_source

            parse_source(argument)
        if kind != "module" and (self.weights is not None or self.layer is not None):
            raise ValueError(f"backbone weights and layer are for module:PKG.MOD:FACTORY backbones; got {self.name!r}")
        if kind in ("cnn", "none") and self.input_shape is not None:
            raise ValueError(
                f"backbone {self.name!r} fixes its input; input_shape is for torchscript and module backbones"
            )
        shape = self.input_shape
        if shape is not None and not (len(shape) == 3 and all(isinstance(n, int) and n > 0 for n in shape)):
            raise ValueError(f"backbone input_shape must be three positive integers (C, H, W); got {shape!r}")
        for name in ("mean", "std"):
            value = getattr(self, name)
            if value is not None and not (value and all(isinstance(v, int | float) for v in value)):
                raise ValueError(f"backbone {name} must be a list of numbers, one per channel; got {value!r}")
        if self.std is not None and any(v <= 0 for v in self.std):
            raise ValueError(f"backbone std must be positive; got {self.std!r}")

    @property
    def kind(self) -> str:
        """``"cnn"``, ``"export"``, ``"torchscript"``, ``"module"`` or ``"none"``."""
        return self.name.partition(":")[0]

    @property
    def argument(self) -> str:
        """What follows the kind: the source dataset, the file or the factory."""
        return self.name.partition(":")[2]


@dataclass
class Backbone:
    """A loaded, frozen backbone.

    Attributes:
        spec: What it was loaded from.
        model: The network in eval mode (``None`` for ``none``).
        key: Content hash of the weights (with the factory, layer and input preparation of other backbones'):
            keys the feature cache.
        input_shape: ``(C, H, W)`` it takes (``None`` for ``none``).
        source_accuracy: The project CNN's test accuracy on its source dataset (``None`` otherwise).
        features: ``images -> (N, F)`` for a batch already prepared.
    """

    spec: BackboneSpec
    model: nn.Module | None
    key: str
    input_shape: tuple[int, int, int] | None
    source_accuracy: float | None = None
    features: Callable[[torch.Tensor], torch.Tensor] = field(default=lambda x: x, repr=False)

    def transform(self, sample_shape: tuple[int, ...]) -> str:
        """How samples of ``sample_shape`` are prepared for this backbone, in words (recorded with results)."""
        if self.input_shape is None:
            return "none (the samples are the features)"
        steps = []
        source = "x".join(map(str, sample_shape))
        target = "x".join(map(str, self.input_shape))
        if tuple(sample_shape) != self.input_shape:
            have, want = sample_shape[0], self.input_shape[0]
            channels = "repeated" if have < want else "averaged" if have > want else "kept"
            steps.append(f"{source} -> {target} (channels {channels}, bilinear resize)")
        else:
            steps.append(f"{source} as is")
        if self.spec.mean is not None or self.spec.std is not None:
            steps.append(f"normalised (mean {list(self.spec.mean or [0.0])}, std {list(self.spec.std or [1.0])})")
        return ", ".join(steps)

    @torch.no_grad()
    def extract(self, samples: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """Features ``(N, F)`` of images ``(N, C, H, W)`` in [0, 1] (or features for ``none``), as float32.

        Raises:
            QcnnTlError: Naming the shapes, if the backbone does not run on the prepared images or does not
                return one feature vector per image.
        """
        if self.input_shape is None:
            return samples.to(torch.float32)
        out = []
        for start in range(0, len(samples), batch_size):
            batch = prepare_images(samples[start : start + batch_size], self.input_shape, self.spec.mean, self.spec.std)
            try:
                features = self.features(batch)
            except Exception as exc:
                raise QcnnTlError(
                    f"backbone {self.spec.name!r} does not run on images of shape {tuple(batch.shape)} "
                    f"(prepared from {tuple(samples.shape[1:])}): {str(exc).splitlines()[0] if str(exc) else exc!r}; "
                    "set its input shape (--backbone-input C,H,W) to what it takes"
                ) from exc
            if not isinstance(features, torch.Tensor) or features.ndim < 2 or len(features) != len(batch):
                shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
                raise QcnnTlError(
                    f"backbone {self.spec.name!r} returned {shape} for {len(batch)} images; expected one feature "
                    "vector per image, (N, F)"
                )
            out.append(features.reshape(len(batch), -1).to(torch.float32))
        return torch.cat(out)


def prepare_images(
    images: torch.Tensor,
    input_shape: tuple[int, int, int],
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
) -> torch.Tensor:
    """Images ``(N, C, H, W)`` in [0, 1] as a backbone takes them: channels, size, normalisation.

    Raises:
        QcnnTlError: If the channels cannot be converted (only 1 ↔ 3 are), or ``mean``/``std`` do not have
            one entry per channel (or one for all).
    """
    channels, height, width = input_shape
    if images.ndim != 4:
        raise QcnnTlError(f"images must have shape (N, C, H, W); got {tuple(images.shape)}")
    have = images.shape[1]
    if have != channels:
        if have == 1:
            images = images.expand(-1, channels, -1, -1)
        elif have == 3 and channels == 1:
            luminance = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype).view(1, 3, 1, 1)
            images = (images * luminance).sum(1, keepdim=True)
        else:
            raise QcnnTlError(f"cannot convert {have}-channel images to the backbone's {channels} channels")
    if tuple(images.shape[2:]) != (height, width):
        images = nn.functional.interpolate(
            images, size=(height, width), mode="bilinear", antialias=True, align_corners=False
        )
    for values, name, op in ((mean, "mean", torch.sub), (std, "std", torch.div)):
        if values is None:
            continue
        if len(values) not in (1, channels):
            raise QcnnTlError(f"backbone {name} has {len(values)} entries; the backbone takes {channels} channels")
        images = op(images, torch.tensor(values, dtype=images.dtype).view(1, -1, 1, 1))
    return images.contiguous()


def load_backbone(
    spec: BackboneSpec,
    *,
    num_features: int,
    sample_shape: tuple[int, ...] | None = None,
    cnn_epochs: int = 5,
    cnn_seed: int = 0,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> Backbone:
    """Loads (or, for ``cnn:<dataset>``, pre-trains once and caches) a backbone.

    Args:
        spec: The backbone.
        num_features: The encoding's width: the project CNN is built this wide; other backbones keep theirs.
        sample_shape: Shape of one sample, the default ``input_shape`` of torchscript/module backbones.
        cnn_epochs: Epochs of a project CNN.
        cnn_seed: Seed of a project CNN.
        data_dir: Data root (to pre-train a project CNN).
        download: Let torchvision download the source dataset.
        cache_dir: Cache root.
        progress: Show pre-training progress.

    Raises:
        QcnnTlError: If a file is missing or not what it should be, a factory cannot be imported or built,
            the weights do not fit, or the feature layer does not exist (each naming the input).
    """
    if spec.kind == "none":
        return Backbone(spec, None, "none", None)
    if spec.kind == "cnn":
        from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained

        config = PretrainConfig(num_features=num_features, epochs=cnn_epochs, seed=cnn_seed, dataset=spec.argument)
        checkpoint = ensure_pretrained(
            config, data_dir=data_dir, download=download, cache_dir=cache_dir, progress=progress
        )
        return cnn_backbone(checkpoint, spec)
    input_shape = spec.input_shape or _image_shape(spec, sample_shape)
    loaders = {"export": _exported, "torchscript": _torchscript, "module": _module}
    model, weights_file = loaders[spec.kind](spec)
    digest = hashlib.sha256(weights_file.read_bytes())  # the weights, and how the backbone is built and fed
    digest.update(repr((spec.name, input_shape, spec.mean, spec.std, spec.layer)).encode())
    features = _layer_output(spec, model) if spec.kind == "module" else model
    return Backbone(spec, model, digest.hexdigest(), input_shape, None, features)


def cnn_backbone(checkpoint: CNNCheckpoint, spec: BackboneSpec | None = None) -> Backbone:
    """The project CNN of ``checkpoint`` as a backbone (its BatchNorm output is the feature vector)."""
    model = checkpoint.model.eval()
    accuracy = checkpoint.metadata.get("test_accuracy")
    source = str(checkpoint.metadata.get("dataset", "fashion_mnist"))
    return Backbone(
        spec or BackboneSpec(f"cnn:{source}"), model, checkpoint.content_hash, CNN_INPUT, accuracy, model.features
    )


def _image_shape(spec: BackboneSpec, sample_shape: tuple[int, ...] | None) -> tuple[int, int, int]:
    if sample_shape is None or len(sample_shape) != 3:
        raise QcnnTlError(
            f"backbone {spec.name!r} takes images, but the samples have shape {sample_shape}; use images, or "
            "--backbone none for ready-made features"
        )
    return (int(sample_shape[0]), int(sample_shape[1]), int(sample_shape[2]))


def _torchscript(spec: BackboneSpec) -> tuple[nn.Module, Path]:
    path = Path(spec.argument)
    if not path.is_file():
        raise QcnnTlError(f"backbone {spec.name!r}: file {path} not found")
    try:
        model = torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:
        raise QcnnTlError(
            f"backbone {spec.name!r}: {path} is not a TorchScript file (save one with torch.jit.save): "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc
    return model.eval(), path


def _exported(spec: BackboneSpec) -> tuple[nn.Module, Path]:
    path = Path(spec.argument)
    if not path.is_file():
        raise QcnnTlError(f"backbone {spec.name!r}: file {path} not found")
    quiet = [logging.getLogger(name) for name in ("torch.export", "torch.export.pt2_archive._package")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:  # torch logs a traceback before raising; the error below says it in one line
        logger.setLevel(logging.CRITICAL)
    try:
        program = torch.export.load(str(path))
    except Exception as exc:
        raise QcnnTlError(
            f"backbone {spec.name!r}: {path} is not a program saved with torch.export.save: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    return program.module(), path


def _module(spec: BackboneSpec) -> tuple[nn.Module, Path]:
    module_name, _, factory_name = spec.argument.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise QcnnTlError(f"backbone {spec.name!r}: cannot import module {module_name!r}: {exc}") from exc
    factory: Any = getattr(module, factory_name, None)
    if not callable(factory):
        raise QcnnTlError(f"backbone {spec.name!r}: module {module_name!r} has no callable {factory_name!r}")
    try:
        model = factory()
    except Exception as exc:
        raise QcnnTlError(f"backbone {spec.name!r}: {factory_name}() failed: {exc}") from exc
    if not isinstance(model, nn.Module):
        raise QcnnTlError(
            f"backbone {spec.name!r}: {factory_name}() returned {type(model).__name__}, not a torch module"
        )
    if spec.weights is None:
        raise QcnnTlError(
            f"backbone {spec.name!r} needs its trained weights: --backbone-weights FILE "
            "(a state_dict saved with torch.save)"
        )
    path = Path(spec.weights)
    if not path.is_file():
        raise QcnnTlError(f"backbone weights {path} not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:
        raise QcnnTlError(
            f"backbone weights {path} do not fit {factory_name}(): {str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from exc
    return model.eval(), path


def _layer_output(spec: BackboneSpec, model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """The function ``images -> output of spec.layer`` (the model's output when no layer is named)."""
    if spec.layer is None:
        return model
    layers = dict(model.named_modules())
    if spec.layer not in layers:
        names = [n for n in layers if n]
        shown = ", ".join(names[:20]) + (" …" if len(names) > 20 else "")
        raise QcnnTlError(f"backbone {spec.name!r} has no layer {spec.layer!r}; its layers are: {shown}")
    layer = layers[spec.layer]

    def features(images: torch.Tensor) -> torch.Tensor:
        captured: list[torch.Tensor] = []
        handle = layer.register_forward_hook(lambda _m, _i, output: captured.append(output))
        try:
            model(images)
        finally:
            handle.remove()
        return captured[-1]

    return features
