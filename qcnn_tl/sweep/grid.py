"""A sweep grid: QCNN models × encodings × tasks × repetitions, plus C2C heads, read from TOML or flags.

A sweep file::

    [grid]
    models = "paper"              # the 22 models of the paper's figure, or ["U_SU4/zx", "U_5/generalized"]
    encodings = ["amplitude", "angle"]
    tasks = ["0,1", "2,3", "8,9"]
    repetitions = 10              # repetition k uses seed + k
    c2c = ["1d", "2d"]            # C2C heads on the same tasks ([] for none)
    noise = ["none", "fake_brisbane"]   # train noiseless and/or under fake devices' noise (the noisy engine)
    noise_scales = [1.0]          # error-rate scales: a noise-trained run per scale, evaluations at each
    readout_error = false         # noise-trained runs include the readout error
    evaluate_noise = ["fake_brisbane", "fake_torino"]  # also evaluate every QCNN under these devices' noise
    cnn_seeds = [0, 1, 2, 3, 4]   # repeat everything on CNNs pre-trained with these seeds (C2Q, C2C paired)

    [train]                       # TrainConfig fields (defaults: docs/method.md, *Training*), e.g. steps = 200
    dataset = "fashion_mnist"     # the data, backbone and feature reduction of every run, C2C heads included
    backbone = "cnn:mnist"        # (or a table: backbone = { name = "torchscript:net.pt", input_shape = [3, 32, 32] })
    [c2c]                         # C2CConfig fields (reference defaults), e.g. num_train = 10000
    width = ["matched", 28]       # the 1D head's pooled widths (default 28, the reference): one run per width

The 1D head runs once per ``[c2c] width`` (an integer in 1..84 or ``"matched"``, or a list of them); the other
heads have no width. ``"matched"`` is, per task, the width whose weight count is closest to the QCNN's for that
task's classes (:func:`~qcnn_tl.c2c.heads.matched_width`; the first model and encoding of ``[grid]``), so one grid
covers tasks of 2, 4 and 10 classes; a width the task's matched one repeats runs once. Results of a 1D head of
another width than 28 are filed as ``C2C_1D_w<width>``.

The grid expands into *units*: all missing repetitions of one QCNN model on one task, encoding and training
noise (trained together as replicas on a torch engine), or all missing repetitions of one C2C head on one task.
Noise settings live in ``[grid]`` (``noise`` is an axis of the grid); ``[train]`` refuses them.

``[train] backend = "aer:fake_brisbane"`` (with ``shots`` and ``gradient``) trains every QCNN run with that
estimator in the loop instead (``qcnn-tl train --backend``): one repetition per unit, each with a checkpoint
and a job journal in the sweep folder (``runs/<group>/<task>/<model>/seed<k>/``), so an interrupted sweep
resumes at the step each run had reached.

``cnn_seeds`` makes the pre-trained CNN an axis: every QCNN and C2C run is repeated on the CNN of each seed
(pre-trained on first use), so the variance a CNN draw adds can be measured and C2Q compared with C2C on
the same CNN; results then go to ``runs/<group>/<task>/<model>/cnn<c>/seed<k>.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from qcnn_tl._io import read_json_object
from qcnn_tl._validate import SEED_LIMIT, check_seed, check_settings, is_positive_int
from qcnn_tl.backends.targets import fake_backends
from qcnn_tl.c2c.heads import CONVOLVED, REFERENCE_WIDTH, check_head, matched_width
from qcnn_tl.c2c.training import C2CConfig
from qcnn_tl.circuits import (
    ANSATZES,
    ENCODINGS,
    PAPER_MODELS,
    POOLINGS,
    BlockDefinition,
    block_definitions,
    build_qcnn,
)
from qcnn_tl.cnn.backbone import BackboneSpec
from qcnn_tl.results import RunResult
from qcnn_tl.training.conditions import RunCondition
from qcnn_tl.training.config import TrainConfig

_NONE_NOTE = ' (or "none": noiseless)'
_TRAIN_FIXED = ("ansatz", "pooling", "encoding", "task", "noise", "noise_scale", "readout_error")
_C2C_FIXED = ("head", "task", "dataset", "backbone", "feature_reduction")  # the QCNN's data: [train]


def parse_model(name: str) -> tuple[str, str]:
    """``"U_SU4/zx"`` → ``("U_SU4", "zx")``.

    Raises:
        ValueError: On a malformed name or an unknown ansatz/pooling.
    """
    parts = name.split("/")
    if len(parts) != 2:
        raise ValueError(f"model {name!r} must be 'ANSATZ/POOLING', e.g. 'U_SU4/zx'")
    ANSATZES[parts[0]]
    POOLINGS[parts[1]]
    return parts[0], parts[1]


@dataclass(frozen=True)
class SweepGrid:
    """What a sweep runs.

    Attributes:
        models: ``(ansatz, pooling)`` pairs.
        encodings: QCNN encodings.
        tasks: Tasks, of two classes or more (:mod:`qcnn_tl.data.tasks`).
        repetitions: Runs per (model, encoding, task); repetition ``k`` uses seed ``base + k``.
        c2c: C2C heads run on every task (amplitude-CNN features).
        c2c_widths: Pooled widths of the ``"1d"`` head, each an integer in 1..84 or ``"matched"`` (per task, the
            width matching the first model's weight count: :meth:`head_configs`); one run per width.
        train: Base QCNN settings; ansatz, pooling, encoding and task come from the grid.
        c2c_train: Base C2C settings; head and task come from the grid.
        noise: Training noise per QCNN run: ``None`` (noiseless) or a fake device (the noisy engine).
        noise_scales: Error-rate scales: each device of ``noise`` is trained at each; ``evaluate_noise`` at each.
        readout_error: Whether noise-trained runs include the readout error.
        evaluate_noise: Fake devices under whose noise every QCNN run is also evaluated on the test split.
        cnn_seeds: Seeds of the pre-trained CNNs every run is repeated on; empty: the one CNN of ``[train]``
            and ``[c2c]`` ``cnn_seed``.
    """

    models: tuple[tuple[str, str], ...] = PAPER_MODELS
    encodings: tuple[str, ...] = ("amplitude", "angle")
    tasks: tuple[str, ...] = ("0,1", "2,3", "8,9")
    repetitions: int = 10
    c2c: tuple[str, ...] = ("1d", "2d")
    c2c_widths: tuple[int | Literal["matched"], ...] = (REFERENCE_WIDTH,)
    train: TrainConfig = field(default_factory=TrainConfig)
    c2c_train: C2CConfig = field(default_factory=C2CConfig)
    noise: tuple[str | None, ...] = (None,)
    noise_scales: tuple[float, ...] = (1.0,)
    readout_error: bool = False
    evaluate_noise: tuple[str, ...] = ()
    cnn_seeds: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for encoding in self.encodings:
            ENCODINGS[encoding]
        for task in self.tasks:
            replace(self.train, task=task)  # checks the task against the dataset's classes where known
        for head in self.c2c:
            C2CConfig(head=head)
        self._check_widths()
        check_settings(self, positive_ints=("repetitions",))
        for name, settings in (("train", self.train), ("c2c", self.c2c_train)):  # each checks its own seeds
            if settings.seed + self.repetitions > SEED_LIMIT:
                raise ValueError(
                    f"[{name}] seed + repetitions - 1 must be below 2**63 (repetition k uses seed + k); "
                    f"got seed {settings.seed} with {self.repetitions} repetitions"
                )
        for seed in self.cnn_seeds:
            check_seed("[grid] cnn_seeds entry", seed)
        if len(set(self.cnn_seeds)) != len(self.cnn_seeds):
            raise ValueError(f"[grid] cnn_seeds lists a seed more than once; got {list(self.cnn_seeds)}")
        if self.cnn_seeds and (self.train.cnn_seed, self.c2c_train.cnn_seed) != (0, 0):
            raise ValueError(
                "give the CNN seeds in one place: [grid] cnn_seeds, or [train]/[c2c] cnn_seed, not both; got "
                f"cnn_seeds = {list(self.cnn_seeds)} with cnn_seed {self.train.cnn_seed} / {self.c2c_train.cnn_seed}"
            )
        if self.train.engine == "estimator" and any(d is not None for d in self.noise):
            raise ValueError(
                f"[train] backend ({self.train.backend!r}: an estimator in the loop) excludes [grid] noise "
                '(the noisy engine); use noise = ["none"] with a backend'
            )
        for key, devices in (("noise", self.noise), ("evaluate_noise", self.evaluate_noise)):
            unknown = [d for d in devices if d is not None and d not in fake_backends()]
            if unknown:
                raise ValueError(
                    f"[grid] {key} must name fake devices{_NONE_NOTE if key == 'noise' else ''}; got {unknown}; "
                    f"expected some of: {', '.join(sorted(fake_backends()))}"
                )
        if not self.noise:
            raise ValueError('noise must not be empty (use ["none"] for noiseless training)')
        if not (self.models and self.encodings) and not self.c2c:
            raise ValueError("the sweep runs nothing: give models and encodings, or C2C heads")
        if not self.tasks:
            raise ValueError("tasks must not be empty")

    def _check_widths(self) -> None:
        if not self.c2c_widths or len(set(self.c2c_widths)) != len(self.c2c_widths):
            raise ValueError(f"[c2c] width must list distinct widths; got {list(self.c2c_widths)}")
        for width in self.c2c_widths:
            if not isinstance(width, str):
                check_head("1d", width)
            elif width != "matched":
                raise ValueError(f'[c2c] width must be an integer in 1..{CONVOLVED} or "matched"; got {width!r}')
        if self.c2c_train.width != REFERENCE_WIDTH:
            raise ValueError(
                f"give the 1d head's widths as c2c_widths (a sweep file's [c2c] width), not c2c_train.width; "
                f"got c2c_train.width = {self.c2c_train.width}"
            )
        if "matched" in self.c2c_widths and "1d" in self.c2c and not self.models:
            raise ValueError('[c2c] width "matched" matches the first QCNN model of [grid] models; give one')

    def head_configs(self, c2c_train: C2CConfig, task: str) -> list[C2CConfig]:
        """The C2C runs on ``task``: every head of ``c2c``, the ``"1d"`` head at each of ``c2c_widths``.

        ``"matched"`` resolves to :func:`~qcnn_tl.c2c.heads.matched_width` of the first model's weight count
        (with the first encoding) for the task's classes; a width given twice after resolving runs once.
        """
        configs = []
        for head in self.c2c:
            widths = self.c2c_widths if head == "1d" else (REFERENCE_WIDTH,)
            resolved = [self._matched(task) if w == "matched" else w for w in widths]
            for width in dict.fromkeys(resolved):
                configs.append(replace(c2c_train, head=head, task=task, width=width))
        return configs

    def _matched(self, task: str) -> int:
        (ansatz, pooling), encoding = self.models[0], self.encodings[0] if self.encodings else "amplitude"
        k = replace(self.train, task=task).num_classes
        return matched_width(_num_weights(ansatz, pooling, encoding, k), k)

    @property
    def num_runs(self) -> int:
        """Runs in the whole grid."""
        trainings = sum(1 if d is None else len(self.noise_scales) for d in self.noise)
        qcnn = len(self.models) * len(self.encodings) * trainings * len(self.tasks)
        c2c = sum(len(self.head_configs(_with_data(self.c2c_train, self.train), task)) for task in self.tasks)
        return (qcnn + c2c) * self.repetitions * max(1, len(self.cnn_seeds))

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (what a sweep file holds)."""
        return {
            "grid": {
                "models": [f"{a}/{p}" for a, p in self.models],
                "encodings": list(self.encodings),
                "tasks": list(self.tasks),
                "repetitions": self.repetitions,
                "c2c": list(self.c2c),
                "noise": ["none" if d is None else d for d in self.noise],
                "noise_scales": list(self.noise_scales),
                "readout_error": self.readout_error,
                "evaluate_noise": list(self.evaluate_noise),
                **({"cnn_seeds": list(self.cnn_seeds)} if self.cnn_seeds else {}),
            },
            "train": {k: v for k, v in self.train.to_dict().items() if k not in _TRAIN_FIXED},
            "c2c": {
                **{k: v for k, v in self.c2c_train.to_dict().items() if k not in _C2C_FIXED},
                "width": self.c2c_widths[0] if len(self.c2c_widths) == 1 else list(self.c2c_widths),
            },
        }

    def units(self, *, data_dir: str | None = None, cache_dir: str | None = None) -> list[Unit]:
        """Every unit of the grid (all repetitions), per CNN; QCNN before C2C, grouped by encoding and task."""
        if not self.cnn_seeds:
            return self._units(self.train, self.c2c_train, data_dir, cache_dir, by_cnn=False)
        return [
            unit
            for cnn in self.cnn_seeds
            for unit in self._units(
                replace(self.train, cnn_seed=cnn),
                replace(self.c2c_train, cnn_seed=cnn),
                data_dir,
                cache_dir,
                by_cnn=True,
            )
        ]

    def _units(
        self, train: TrainConfig, c2c_train: C2CConfig, data_dir: str | None, cache_dir: str | None, *, by_cnn: bool
    ) -> list[Unit]:
        out: list[Unit] = []
        trainings = [
            (d, s, self.readout_error if d else False)
            for d in self.noise
            for s in ((1.0,) if d is None else self.noise_scales)
        ]
        evaluation = (self.evaluate_noise, self.noise_scales)
        for encoding in self.encodings:
            for task in self.tasks:
                for noise, scale, readout in trainings:
                    for ansatz, pooling in self.models:
                        config = replace(
                            train,
                            ansatz=ansatz,
                            pooling=pooling,
                            encoding=encoding,
                            task=task,
                            noise=noise,
                            noise_scale=scale,
                            readout_error=readout,
                        )
                        seeds = tuple(config.seed + k for k in range(self.repetitions))
                        blocks = block_definitions(ansatz, pooling, encoding)
                        shared = (data_dir, cache_dir, evaluation, by_cnn, blocks)
                        if config.engine == "estimator":  # one repetition at a time, each resumable
                            out += [Unit("qcnn", config, (seed,), *shared) for seed in seeds]
                        else:
                            out.append(Unit("qcnn", config, seeds, *shared))
        data = _with_data(c2c_train, train)
        for task in self.tasks:
            for c2c in self.head_configs(data, task):
                seeds = tuple(c2c.seed + k for k in range(self.repetitions))
                out.append(Unit("c2c", c2c, seeds, data_dir, cache_dir, by_cnn=by_cnn))
        return out


def _with_data(c2c: C2CConfig, train: TrainConfig) -> C2CConfig:
    """The C2C settings on the QCNN runs' data: ``train``'s dataset, backbone and feature reduction."""
    return replace(c2c, dataset=train.dataset, backbone=train.backbone, feature_reduction=train.feature_reduction)


@dataclass(frozen=True)
class Unit:
    """Repetitions of one model on one task, run together by one worker.

    Attributes:
        kind: ``"qcnn"`` or ``"c2c"``.
        config: The run's settings (its own seed is replaced by each of ``seeds``).
        seeds: One seed per repetition.
        data_dir: Dataset root the worker reads (None: the default).
        cache_dir: CNN/feature cache the worker reads (None: the default).
        noisy_evaluation: Fake devices and error-rate scales under which a QCNN is also evaluated.
        by_cnn: Whether results are filed per CNN seed (a grid with ``cnn_seeds``).
        blocks: The user's own blocks of the model, which the worker registers before it builds the model.
    """

    kind: Literal["qcnn", "c2c"]
    config: TrainConfig | C2CConfig
    seeds: tuple[int, ...]
    data_dir: str | None = None
    cache_dir: str | None = None
    noisy_evaluation: tuple[tuple[str, ...], tuple[float, ...]] = ((), (1.0,))
    by_cnn: bool = False
    blocks: tuple[BlockDefinition, ...] = ()

    @property
    def group(self) -> str:
        """The group of the unit's runs (:func:`run_group`)."""
        return run_group(self.config)

    @property
    def model_name(self) -> str:
        """``"U_SU4_zx"``-style name, or ``"C2C_1D"``."""
        if isinstance(self.config, C2CConfig):
            return self.config.model_name
        return f"{self.config.ansatz}_{self.config.pooling}"

    def result_path(self, seed: int) -> Path:
        """Where the result of ``seed`` goes, relative to the sweep folder."""
        task = self.config.task.replace(",", "-")
        folder = Path("runs") / group_file_name(self.group) / task / self.model_name
        return (folder / f"cnn{self.config.cnn_seed}" if self.by_cnn else folder) / f"seed{seed}.json"

    def config_for(self, seed: int) -> dict[str, Any]:
        """The config dict a result of ``seed`` records."""
        return {**self.config.to_dict(), "seed": seed}

    def with_seeds(self, seeds: tuple[int, ...]) -> Unit:
        """The same unit restricted to ``seeds``."""
        return replace(self, seeds=seeds)

    def describe(self) -> str:
        """One line for logs and failure reports."""
        cnn = f" CNN {self.config.cnn_seed}" if self.by_cnn else ""
        return f"{self.group} {self.model_name} task {self.config.task}{cnn} seeds {list(self.seeds)}"


def run_group(config: TrainConfig | C2CConfig) -> str:
    """How sweeps and summaries group runs: ``"c2c"``, or the key of the QCNN run's :class:`RunCondition`.

    That is the encoding, ``"<encoding>@<device>[ x<scale>]"`` (noise-trained) or ``"<encoding>@<backend>"``
    (trained with an estimator in the loop).
    """
    if isinstance(config, C2CConfig):
        return "c2c"
    return RunCondition.from_config(config).key


def group_file_name(group: str) -> str:
    """A group (:func:`run_group`) as it names folders and files: spaces and colons as underscores.

    >>> group_file_name("angle@fake_brisbane x2"), group_file_name("angle@aer:fake_brisbane")
    ('angle@fake_brisbane_x2', 'angle@aer_fake_brisbane')
    """
    return group.replace(" ", "_").replace(":", "_")


def read_result(path: str | os.PathLike[str]) -> RunResult[TrainConfig] | RunResult[C2CConfig]:
    """A sweep's (or ``train``'s) result file: a QCNN's, or a C2C head's (its settings name a ``head``).

    Raises:
        QcnnTlError: If the file is missing, not JSON, or not a valid result (the message names it).
    """
    data = read_json_object(path, "a run result")
    config = data.get("config")
    if isinstance(config, dict) and "head" in config:
        return RunResult.from_json(data, C2CConfig, source=str(path))
    return RunResult.from_json(data, TrainConfig, source=str(path))


def _kind(value: Any) -> str:
    """What a TOML value is, in the file's own words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a table"
    names = {int: "an integer", float: "a float", str: "a string", list: "an array", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _given(value: Any) -> str:
    return f"{value!r} ({_kind(value)})"


def _matches(value: Any, hint: Any) -> bool:
    """Whether a TOML value has the type of a settings field (``int``, ``float``, ``str``, ``Literal``)."""
    if value is None:  # not in TOML, but in sweep.json for a field left at None
        return type(None) in get_args(hint)
    if isinstance(value, bool):
        return hint is bool
    if hint is float:
        return isinstance(value, int | float)
    if hint is BackboneSpec:  # its name, or a table of its fields (checked by BackboneSpec)
        return isinstance(value, str | dict)
    if get_origin(hint) is Literal:
        return isinstance(value, str)
    args = get_args(hint)
    if args:  # X | None
        return any(_matches(value, a) for a in args if a is not type(None))
    return isinstance(value, hint)


def _expected(hint: Any) -> str:
    if get_origin(hint) is Literal:
        return "a string"
    args = [a for a in get_args(hint) if a is not type(None)]
    if args:  # X | None: TOML has no null, so X
        return " or ".join(_expected(a) for a in args)
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return names.get(hint, "a backbone name or a table of its fields" if hint is BackboneSpec else str(hint))


def _settings(section: dict[str, Any], cls: type[TrainConfig | C2CConfig], name: str, source: str) -> Any:
    """Builds ``cls`` from a sweep-file section, checking each value's type against the field's first."""
    hints = get_type_hints(cls)
    for key, value in section.items():
        if not _matches(value, hints[key]):
            raise ValueError(f"{source}: [{name}] {key} must be {_expected(hints[key])}; got {_given(value)}")
    try:
        return cls(**section)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: [{name}] {exc}") from None


def _names(value: Any, key: str) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{key} must be a list of strings; got {_given(value)}")
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        raise ValueError(f"{key} lists {repeated} more than once; got {value!r}")
    return tuple(value)


def _models(value: Any, key: str) -> tuple[tuple[str, str], ...]:
    if value == "paper":
        return PAPER_MODELS
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{key} must be \"paper\" or a list of 'ANSATZ/POOLING'; got {_given(value)}")
    return tuple(parse_model(m) for m in _names(value, key))


def _repetitions(value: Any, key: str) -> int:
    if not is_positive_int(value):
        raise ValueError(f"{key} must be a positive integer; got {_given(value)}")
    return int(value)


def _noise(value: Any, key: str) -> tuple[str | None, ...]:
    names = _names([value] if isinstance(value, str) else value, key)
    return tuple(None if name == "none" else name for name in names)


def _scales(value: Any, key: str) -> tuple[float, ...]:
    ok = isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if not ok or not value or any(not 0 < v < float("inf") for v in value):
        raise ValueError(f"{key} must be a non-empty list of positive numbers; got {_given(value)}")
    if len(set(value)) != len(value):
        raise ValueError(f"{key} lists a scale more than once; got {value!r}")
    return tuple(float(v) for v in value)


def _seeds(value: Any, key: str) -> tuple[int, ...]:
    if not (isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise ValueError(f"{key} must be a non-empty list of integer seeds; got {_given(value)}")
    return tuple(value)


def _widths(value: Any, key: str) -> tuple[int | Literal["matched"], ...]:
    widths = value if isinstance(value, list) else [value]
    ok = all(w == "matched" or (isinstance(w, int) and not isinstance(w, bool)) for w in widths)
    if not ok or not widths:
        raise ValueError(f'{key} must be an integer, "matched", or a list of them; got {_given(value)}')
    return tuple(widths)


@cache
def _num_weights(ansatz: str, pooling: str, encoding: str, num_classes: int) -> int:
    return build_qcnn(ansatz, pooling, encoding=encoding, num_classes=num_classes).num_weights


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false; got {_given(value)}")
    return value


_GRID_KEYS: dict[str, Callable[[Any, str], Any]] = {
    "models": _models,
    "encodings": _names,
    "tasks": _names,
    "repetitions": _repetitions,
    "c2c": _names,
    "noise": _noise,
    "noise_scales": _scales,
    "readout_error": _flag,
    "evaluate_noise": _names,
    "cnn_seeds": _seeds,
}
"""The [grid] keys and how each is read into a :class:`SweepGrid` field of the same name."""


def _section(data: dict[str, Any], name: str, allowed: Collection[str], source: str) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ValueError(f"{source}: [{name}] must be a table; got {name} = {_given(section)}")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {unknown} in [{name}]; expected some of {list(allowed)}")
    return section


def grid_from_dict(data: dict[str, Any], *, source: str = "sweep") -> SweepGrid:
    """Builds a validated grid from the sweep-file layout (see the module docstring).

    Every value's type is checked before use (TOML tells integers, floats and strings apart), so a
    mistake is one line naming ``source``, the section and key, what was expected and what was given.

    Raises:
        ValueError: On unknown sections or keys, values of the wrong type, or invalid values.
    """
    unknown = sorted(set(data) - {"grid", "train", "c2c"})
    if unknown:
        raise ValueError(f"{source}: unknown section(s) {unknown}; expected [grid], [train], [c2c]")
    grid = _section(data, "grid", _GRID_KEYS, source)
    train = data.get("train", {})
    moved = sorted(set(train) & {"noise", "noise_scale", "readout_error"}) if isinstance(train, dict) else []
    if moved:
        raise ValueError(
            f'{source}: {moved} belong in [grid] in a sweep file (noise = ["none", "fake_brisbane"], '
            "noise_scales = [1.0], readout_error = false), not in [train]"
        )
    train_keys = tuple(f.name for f in fields(TrainConfig) if f.name not in _TRAIN_FIXED)
    c2c_keys = tuple(f.name for f in fields(C2CConfig) if f.name not in _C2C_FIXED)
    c2c = dict(_section(data, "c2c", c2c_keys, source))
    kwargs: dict[str, Any] = {
        "train": _settings(_section(data, "train", train_keys, source), TrainConfig, "train", source),
        "c2c_train": _settings({k: v for k, v in c2c.items() if k != "width"}, C2CConfig, "c2c", source),
    }
    if "width" in c2c:
        try:
            kwargs["c2c_widths"] = _widths(c2c["width"], "width")
        except ValueError as exc:
            raise ValueError(f"{source}: [c2c] {exc}") from None
    for key, value in grid.items():
        try:
            kwargs[key] = _GRID_KEYS[key](value, key)
        except ValueError as exc:
            raise ValueError(f"{source}: [grid] {exc}") from None
    try:
        return SweepGrid(**kwargs)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
