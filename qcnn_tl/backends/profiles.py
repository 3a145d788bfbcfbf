"""Named run profiles: TOML files in the top-level ``backends/`` folder, installed as ``qcnn_tl.profiles``.

A profile names the backend, the transpilation settings and shots, and, for IBM Runtime targets, the
error mitigation and suppression of the client-side Estimator
(``qiskit_ibm_runtime.executor_estimator.Estimator``) in optional tables::

    backend = "ibm:ibm_brisbane"
    shots = 4000
    resilience_level = 1

    [measure_mitigation]        # TREX
    enable = true

    [zne]
    enable = true
    amplifier = "gate_folding"
    noise_factors = [1, 3, 5]
    extrapolator = ["exponential", "linear"]

    [twirling]
    enable_gates = true
    num_randomizations = 16
    shots_per_randomization = 256

    [dynamical_decoupling]
    enable = true
    sequence_type = "XY4"

A setting left out inherits the resilience level's default, as in Qiskit Runtime. Unknown keys and
values are one-line ``ValueError`` messages naming the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from qcnn_tl._paths import package_data
from qcnn_tl._validate import is_positive_int

PROFILES = "qcnn_tl.profiles"
"""The shipped profiles: the package data mapped from the top-level ``backends/`` folder."""

ZNE_AMPLIFIERS = ("gate_folding", "gate_folding_front", "gate_folding_back", "pea")
ZNE_EXTRAPOLATORS = (
    "linear",
    "exponential",
    "double_exponential",
    *(f"polynomial_degree_{k}" for k in range(1, 8)),
    "fallback",
)
TWIRLING_GROUPS = ("pauli", "balanced_pauli", "local_c1", "local_pauli")
TWIRLING_STRATEGIES = ("active", "active-accum", "active-circuit", "all")
DD_SEQUENCES = ("XX", "XpXm", "XY4")


def _check_bool(table: str, name: str, value: object, *, optional: bool = True) -> None:
    if (value is None and optional) or isinstance(value, bool):
        return
    key = f"{table}.{name}" if table else name
    raise ValueError(f"{key} must be true or false; got {value!r}")


def _check_auto_or_positive(table: str, name: str, value: object) -> None:
    if value == "auto" or is_positive_int(value):
        return
    raise ValueError(f'{table}.{name} must be a positive integer or "auto"; got {value!r}')


def _check_choice(table: str, name: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{table}.{name} must be one of {', '.join(choices)}; got {value!r}")


@dataclass(frozen=True)
class MeasureMitigation:
    """Twirled readout error extinction (TREX).

    Attributes:
        enable: On or off; ``None`` inherits the resilience level (on at 1 and 2).
        num_randomizations: Randomizations of the readout-calibration circuits, or ``"auto"``.
    """

    enable: bool | None = None
    num_randomizations: int | str = "auto"

    def __post_init__(self) -> None:
        _check_bool("measure_mitigation", "enable", self.enable)
        _check_auto_or_positive("measure_mitigation", "num_randomizations", self.num_randomizations)


@dataclass(frozen=True)
class Zne:
    """Zero-noise extrapolation.

    Attributes:
        enable: On or off; ``None`` inherits the resilience level (on at 2).
        amplifier: ``gate_folding`` (and its ``_front``/``_back`` forms) or ``pea``.
        noise_factors: At least two factors ≥ 1, or ``"auto"`` (1, 3, 5).
        extrapolator: Extrapolators tried in order.
    """

    enable: bool | None = None
    amplifier: str = "gate_folding"
    noise_factors: tuple[float, ...] | str = "auto"
    extrapolator: tuple[str, ...] = ("exponential", "linear")

    def __post_init__(self) -> None:
        _check_bool("zne", "enable", self.enable)
        _check_choice("zne", "amplifier", self.amplifier, ZNE_AMPLIFIERS)
        if self.noise_factors != "auto":
            factors = self.noise_factors
            if (
                isinstance(factors, str)
                or not isinstance(factors, Sequence)
                or len(factors) < 2
                or not all(isinstance(f, int | float) and not isinstance(f, bool) and f >= 1 for f in factors)
            ):
                raise ValueError(f'zne.noise_factors must be "auto" or at least two numbers >= 1; got {factors!r}')
            object.__setattr__(self, "noise_factors", tuple(float(f) for f in factors))
        extrapolator = (self.extrapolator,) if isinstance(self.extrapolator, str) else tuple(self.extrapolator)
        if not extrapolator:
            raise ValueError("zne.extrapolator must name at least one extrapolator; got []")
        for name in extrapolator:
            _check_choice("zne", "extrapolator", name, ZNE_EXTRAPOLATORS)
        object.__setattr__(self, "extrapolator", extrapolator)


@dataclass(frozen=True)
class Pec:
    """Probabilistic error cancellation (needs a layer noise model learned on the device).

    Attributes:
        enable: On or off.
        max_overhead: Largest sampling overhead allowed (> 0).
        noise_gain: ``"auto"`` or a number ≥ 0 (0 removes all learned noise).
    """

    enable: bool = False
    max_overhead: float = 100.0
    noise_gain: float | str = "auto"

    def __post_init__(self) -> None:
        _check_bool("pec", "enable", self.enable, optional=False)
        if not (isinstance(self.max_overhead, int | float) and not isinstance(self.max_overhead, bool)) or (
            self.max_overhead <= 0
        ):
            raise ValueError(f"pec.max_overhead must be a positive number; got {self.max_overhead!r}")
        gain = self.noise_gain
        if gain != "auto" and not (isinstance(gain, int | float) and not isinstance(gain, bool) and gain >= 0):
            raise ValueError(f'pec.noise_gain must be "auto" or a number >= 0; got {gain!r}')


@dataclass(frozen=True)
class Twirling:
    """Pauli twirling of two-qubit gates and measurements.

    Attributes:
        enable_gates: Twirl two-qubit gates; ``None`` inherits the resilience level (on at 2).
        enable_measure: Twirl measurements; ``None`` inherits the resilience level (on at 1 and 2).
        num_randomizations: Random circuit instances per parameter row, or ``"auto"``.
        shots_per_randomization: Shots of each instance, or ``"auto"``.
        group: Twirling group.
        strategy: Which qubits each twirled layer covers.
    """

    enable_gates: bool | None = None
    enable_measure: bool | None = None
    num_randomizations: int | str = "auto"
    shots_per_randomization: int | str = "auto"
    group: str = "pauli"
    strategy: str = "active-accum"

    def __post_init__(self) -> None:
        _check_bool("twirling", "enable_gates", self.enable_gates)
        _check_bool("twirling", "enable_measure", self.enable_measure)
        _check_auto_or_positive("twirling", "num_randomizations", self.num_randomizations)
        _check_auto_or_positive("twirling", "shots_per_randomization", self.shots_per_randomization)
        _check_choice("twirling", "group", self.group, TWIRLING_GROUPS)
        _check_choice("twirling", "strategy", self.strategy, TWIRLING_STRATEGIES)


@dataclass(frozen=True)
class DynamicalDecoupling:
    """Dynamical decoupling on idle qubits.

    Attributes:
        enable: On or off.
        sequence_type: ``XX``, ``XpXm`` or ``XY4``.
    """

    enable: bool = False
    sequence_type: str = "XX"

    def __post_init__(self) -> None:
        _check_bool("dynamical_decoupling", "enable", self.enable, optional=False)
        _check_choice("dynamical_decoupling", "sequence_type", self.sequence_type, DD_SEQUENCES)


TABLES: Mapping[str, type] = {
    "measure_mitigation": MeasureMitigation,
    "zne": Zne,
    "pec": Pec,
    "twirling": Twirling,
    "dynamical_decoupling": DynamicalDecoupling,
}


RUNTIME_KINDS = ("ibm", "ibm-local")
"""Backend kinds that run on IBM Runtime's ``Estimator``, which samples."""

DEFAULT_RUNTIME_SHOTS = 4000
"""Shots per circuit on IBM Runtime targets when none are given."""


@dataclass(frozen=True)
class RunProfile:
    """Backend, transpilation, shots and error mitigation of a run.

    Attributes:
        backend: ``aer``, ``aer:<fake>``, ``ibm-local:<fake>`` or ``ibm:<device>``.
        optimization_level: Preset pass-manager level 0–3.
        shots: Shots per circuit: 0 for exact expectation values (Aer only); ``None`` (the default) for exact on
            Aer and 4,000 on IBM Runtime targets (:attr:`shots_per_circuit`).
        resilience_level: Runtime error-mitigation level 0–2 (IBM targets only).
        seed_transpiler: Seed of the first transpilation (and of the local simulator).
        layout_trials: Transpiler seeds tried; the layout with the best estimated fidelity is kept.
        initial_layout: Physical qubit for each circuit qubit, pinned (overrides ``layout_trials``).
        unmitigated_baseline: With mitigation on, also run the circuit without it (doubles the jobs).
        measure_mitigation: TREX settings.
        zne: Zero-noise extrapolation settings.
        pec: Probabilistic error cancellation settings.
        twirling: Twirling settings.
        dynamical_decoupling: Dynamical decoupling settings.
    """

    backend: str = "aer"
    optimization_level: int = 1
    shots: int | None = None
    resilience_level: int = 0
    seed_transpiler: int = 1234
    layout_trials: int = 1
    initial_layout: tuple[int, ...] | None = None
    unmitigated_baseline: bool = True
    measure_mitigation: MeasureMitigation = field(default_factory=MeasureMitigation)
    zne: Zne = field(default_factory=Zne)
    pec: Pec = field(default_factory=Pec)
    twirling: Twirling = field(default_factory=Twirling)
    dynamical_decoupling: DynamicalDecoupling = field(default_factory=DynamicalDecoupling)

    def __post_init__(self) -> None:
        if not isinstance(self.backend, str) or not self.backend:
            raise ValueError(f"backend must be a backend name such as 'aer:fake_brisbane'; got {self.backend!r}")
        if self.optimization_level not in (0, 1, 2, 3) or isinstance(self.optimization_level, bool):
            raise ValueError(f"optimization_level must be 0-3; got {self.optimization_level!r}")
        if self.shots is not None and (
            not isinstance(self.shots, int) or isinstance(self.shots, bool) or self.shots < 0
        ):
            raise ValueError(f"shots must be a non-negative integer; got {self.shots!r}")
        if self.shots == 0 and self.backend.split(":")[0] in RUNTIME_KINDS:
            raise ValueError(
                f"shots 0 (exact expectation values) is for aer and aer:<fake>; {self.backend} samples: give a "
                "positive number of shots, or none for 4000"
            )
        if self.resilience_level not in (0, 1, 2) or isinstance(self.resilience_level, bool):
            raise ValueError(f"resilience_level must be 0, 1 or 2; got {self.resilience_level!r}")
        if not isinstance(self.seed_transpiler, int) or isinstance(self.seed_transpiler, bool):
            raise ValueError(f"seed_transpiler must be an integer; got {self.seed_transpiler!r}")
        if not is_positive_int(self.layout_trials):
            raise ValueError(f"layout_trials must be a positive integer; got {self.layout_trials!r}")
        _check_bool("", "unmitigated_baseline", self.unmitigated_baseline, optional=False)
        if self.initial_layout is not None:
            layout = self.initial_layout
            if isinstance(layout, str) or not isinstance(layout, Sequence):
                raise ValueError(f"initial_layout must be a list of physical qubit indices; got {layout!r}")
            object.__setattr__(self, "initial_layout", tuple(layout))
        for name, cls in TABLES.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                object.__setattr__(self, name, _table(name, cls, value))
            elif not isinstance(value, cls):
                raise ValueError(f"{name} must be a table of settings; got {value!r}")
        if self.pec.enable and self.zne_enabled:
            raise ValueError("pec.enable and zne.enable cannot both be on (Runtime rejects the combination)")

    @property
    def is_runtime(self) -> bool:
        """Whether the backend runs through IBM Runtime's Estimator (``ibm:`` or ``ibm-local:``)."""
        return self.backend.startswith(("ibm:", "ibm-local:"))

    @property
    def zne_enabled(self) -> bool:
        """ZNE on, explicitly or through resilience level 2."""
        return self.zne.enable if self.zne.enable is not None else self.resilience_level == 2

    @property
    def mitigated(self) -> bool:
        """Whether any error mitigation or suppression is on (IBM Runtime targets only)."""
        if not self.is_runtime:
            return False
        trex = self.measure_mitigation.enable
        return bool(
            (trex if trex is not None else self.resilience_level >= 1)
            or self.zne_enabled
            or self.pec.enable
            or self.twirling.enable_gates
            or self.twirling.enable_measure
            or self.dynamical_decoupling.enable
        )

    @property
    def shots_per_circuit(self) -> int:
        """The shots each circuit gets: ``shots``, else 0 (exact) on Aer and 4,000 on IBM Runtime targets."""
        if self.shots is not None:
            return self.shots
        return DEFAULT_RUNTIME_SHOTS if self.backend.split(":")[0] in RUNTIME_KINDS else 0

    def estimator_options(self, *, mitigated: bool = True, local: bool = False) -> dict[str, Any]:
        """Options for ``qiskit_ibm_runtime.executor_estimator.Estimator`` (a dict for ``EstimatorOptions``).

        Args:
            mitigated: ``False`` gives the unmitigated baseline: resilience level 0, no twirling, no DD.
            local: Local mode: the simulator is seeded with ``seed_transpiler``.
        """
        options: dict[str, Any] = {"default_shots": self.shots_per_circuit}
        if local:
            options["simulator"] = {"seed_simulator": self.seed_transpiler}
        if not mitigated:
            options["resilience_level"] = 0
            options["resilience"] = {"measure_mitigation": False, "zne_mitigation": False}
            options["twirling"] = {"enable_gates": False, "enable_measure": False}
            return options
        options["resilience_level"] = self.resilience_level
        resilience: dict[str, Any] = {
            "measure_noise_learning": {"num_randomizations": self.measure_mitigation.num_randomizations},
            "zne": {
                "amplifier": self.zne.amplifier,
                "noise_factors": list(self.zne.noise_factors) if self.zne.noise_factors != "auto" else "auto",
                "extrapolator": list(self.zne.extrapolator),
            },
            "pec_mitigation": self.pec.enable,
            "pec": {"max_overhead": self.pec.max_overhead, "noise_gain": self.pec.noise_gain},
        }
        if self.measure_mitigation.enable is not None:
            resilience["measure_mitigation"] = self.measure_mitigation.enable
        if self.zne.enable is not None:
            resilience["zne_mitigation"] = self.zne.enable
        options["resilience"] = resilience
        twirling: dict[str, Any] = {
            "num_randomizations": self.twirling.num_randomizations,
            "shots_per_randomization": self.twirling.shots_per_randomization,
            "group": self.twirling.group,
            "strategy": self.twirling.strategy,
        }
        for name in ("enable_gates", "enable_measure"):
            if getattr(self.twirling, name) is not None:
                twirling[name] = getattr(self.twirling, name)
        options["twirling"] = twirling
        options["dynamical_decoupling"] = asdict(self.dynamical_decoupling)
        return options

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data (what :func:`profile_from_dict` reads back)."""
        data = asdict(self)
        data["initial_layout"] = list(self.initial_layout) if self.initial_layout is not None else None
        return data


def _table(name: str, cls: type, data: Mapping[str, Any]) -> Any:
    valid = [f.name for f in fields(cls)]
    for key in data:
        if key not in valid:
            raise ValueError(f"unknown key {name}.{key}; expected one of: {', '.join(valid)}")
    values = dict(data)
    for key in ("noise_factors", "extrapolator"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    return cls(**values)


def profile_from_dict(data: Mapping[str, Any], *, source: str = "profile") -> RunProfile:
    """A profile from plain data (a TOML file or a manifest).

    Raises:
        ValueError: Naming the first unknown key or bad value.
    """
    valid = [f.name for f in fields(RunProfile)]
    for key in data:
        if key not in valid:
            raise ValueError(f"{source}: unknown key {key!r}; expected one of: {', '.join(valid)}")
    values = dict(data)
    if values.get("initial_layout") is not None and isinstance(values["initial_layout"], list):
        values["initial_layout"] = tuple(values["initial_layout"])
    try:
        return RunProfile(**values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from None


def load_profile(name: str, directory: Path | None = None) -> RunProfile:
    """Loads ``<directory>/<name>.toml`` (default: the shipped profiles, :data:`PROFILES`).

    Raises:
        ValueError: On an unknown profile (listing the valid ones), unknown keys or bad values.
    """
    directory = package_data(PROFILES) if directory is None else directory
    path = directory / f"{name}.toml"
    if not path.is_file():
        valid = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
        raise ValueError(f"unknown profile {name!r}; expected one of: {valid}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"profile {name!r} ({path}) is not valid TOML: {exc}") from None
    return profile_from_dict(data, source=f"profile {name!r}")
