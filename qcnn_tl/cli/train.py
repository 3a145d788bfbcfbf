"""``qcnn-tl train``: train one QCNN on a binary task, noiseless, under a device's noise, or on a backend."""

from __future__ import annotations

import argparse
import inspect
import json
import re
import typing
from collections.abc import Callable
from dataclasses import MISSING, fields
from pathlib import Path

import torch

from qcnn_tl._io import check_writable, folder_lock
from qcnn_tl.backends.targets import fake_backends
from qcnn_tl.cli.common import (
    add_backbone_arguments,
    add_data_arguments,
    add_threads_argument,
    backbone_from,
    data_for,
    positive_int,
    seed_type,
    set_threads,
    write_loss_curve,
)
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training
from qcnn_tl.training.loop import check_checkpoint
from qcnn_tl.training.one_vs_rest import one_vs_rest_tasks, train_one_vs_rest

_HIDDEN = frozenset({"checkpoint_every", "backbone"})
"""Fields without a flag of their own: the checkpoint cadence (an implementation detail of resuming) and the
backbone (its flags come from :func:`~qcnn_tl.cli.common.add_backbone_arguments`)."""

_TYPES: dict[str, Callable[[str], int | float]] = {
    "seed": seed_type,
    "seed_transpiler": seed_type,
    "steps": positive_int,
    "batch_size": positive_int,
    "shots": int,
    "spsa_learning_rate": float,
    "spsa_resamplings": positive_int,
}


def _field_help() -> dict[str, str]:
    """Each field's description from the ``Attributes:`` section of :class:`TrainConfig`'s docstring."""
    doc = inspect.getdoc(TrainConfig) or ""
    section = doc.split("Attributes:", 1)[1]
    out: dict[str, str] = {}
    for match in re.finditer(r"^    (\w+): (.*?)(?=^    \w+: |\Z)", section, flags=re.M | re.S):
        text = " ".join(match.group(2).split())
        text = re.sub(r":\w+:`~?(?:[\w.]*\.)?([^`]+)`", r"\1", text)  # :math:`T_1`, :data:`~a.b.NAME`
        out[match.group(1)] = re.sub(r'``"?([^`"]*)"?``', r"\1", text).replace("%", "%%")
    return out


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """One flag per :class:`TrainConfig` field, typed and documented from the dataclass."""
    helps = _field_help()
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        if f.name in _HIDDEN:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else None
        hint = hints[f.name]
        choices = typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else None
        if hint is bool:
            p.add_argument(flag, action="store_true", help=helps.get(f.name))
            continue
        kind = _TYPES.get(f.name, type(default) if default is not None else str)
        p.add_argument(flag, type=kind, default=default, choices=choices, help=helps.get(f.name))


def config_from(args: argparse.Namespace) -> TrainConfig:
    """Builds the validated configuration from parsed flags."""
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if f.name not in _HIDDEN}
    return TrainConfig(**values, backbone=backbone_from(args))


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("train", help="train one QCNN (results JSON + loss PNG)")
    add_config_arguments(p)
    add_backbone_arguments(p)
    p.add_argument(
        "--evaluate-noise",
        nargs="+",
        default=[],
        metavar="DEVICE",
        help="also evaluate the trained model under these fake devices' noise (noisy engine)",
    )
    p.add_argument(
        "--init-from",
        metavar="RESULT",
        help="start from the weights of this result.json (fine-tuning; same ansatz, pooling and encoding)",
    )
    p.add_argument(
        "--one-vs-rest",
        action="store_true",
        help="a k-class task as k binary QCNNs (class c against the task's other classes), arg-max of P(1)",
    )
    p.add_argument("--out", default="runs/train", help="output folder (resumes if it holds a checkpoint)")
    add_data_arguments(p)
    add_threads_argument(p)
    p.set_defaults(func=command)


def _initial_model(path: str, config: TrainConfig) -> RunResult[TrainConfig]:
    """A ``result.json`` of the same model as ``config``, with its weights.

    Raises:
        QcnnTlError: If the file is not a result of this ansatz, pooling and encoding.
    """
    result = RunResult.read(path, TrainConfig, "a run result (--init-from)")
    mismatch = [
        f"{key} {getattr(result.config, key)!r} (here {getattr(config, key)!r})"
        for key in ("ansatz", "pooling", "encoding")
        if getattr(result.config, key) != getattr(config, key)
    ]
    if mismatch or result.weights is None:
        got = ", ".join(mismatch) or "no weights"
        raise QcnnTlError(f"--init-from {path} must be a result of the same model with its weights; got {got}")
    return result


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    set_threads(args)
    config = config_from(args)
    if args.one_vs_rest:
        one_vs_rest_tasks(config)
        if args.init_from or args.evaluate_noise:
            raise ValueError("--one-vs-rest trains k fresh binary models; it takes no --init-from or --evaluate-noise")
    out = check_writable(args.out, "--out", folder=True)
    unknown = [d for d in args.evaluate_noise if d not in fake_backends()]
    if unknown:
        devices = ", ".join(sorted(fake_backends()))
        raise ValueError(f"--evaluate-noise names no fake device {unknown}; expected some of: {devices}")
    with folder_lock(out, "--out"):
        if not args.one_vs_rest and (out / "checkpoint.pt").is_file():
            check_checkpoint(out / "checkpoint.pt", config, [config.seed])
        start = _initial_model(args.init_from, config) if args.init_from else None
        initial = None if start is None else torch.tensor(start.weights, dtype=torch.float64)
        data = data_for(config, args, trained=start)
        if args.one_vs_rest:
            joint = train_one_vs_rest(config, out, data=data, progress=not args.quiet)
            print(json.dumps({"test_accuracy": joint.test_accuracy, "tasks": joint.tasks}))
            print(f"results: {Path(out) / 'one_vs_rest.json'}")
            return 0
        result = run_training(
            config,
            out,
            data=data,
            noisy_evaluation=args.evaluate_noise,
            initial_weights=initial,
            progress=not args.quiet,
        )
        write_loss_curve(result, out)
    shown = result.to_json()
    keys = ("train_accuracy", "test_accuracy", "noisy_test_accuracy", "wall_time_s")
    print(json.dumps({k: shown[k] for k in keys if k in shown}))
    print(f"results: {Path(out) / 'result.json'}")
    return 0
