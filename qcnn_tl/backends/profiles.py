"""Named run profiles (TOML files in the top-level ``backends/`` folder)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

PROFILE_DIR = Path(__file__).resolve().parents[2] / "backends"


@dataclass(frozen=True)
class RunProfile:
    """Backend, optimisation level, shots and resilience level of a run.

    Attributes:
        backend: ``aer``, ``aer:<fake>`` or ``ibm:<device>``.
        optimization_level: Preset pass-manager level 0–3.
        shots: Shots per circuit (0: exact expectation values, Aer only).
        resilience_level: IBM Runtime error-mitigation level 0–2 (ignored on Aer).
        seed_transpiler: Seed for reproducible layouts.
    """

    backend: str = "aer"
    optimization_level: int = 1
    shots: int = 0
    resilience_level: int = 0
    seed_transpiler: int = 1234

    def __post_init__(self) -> None:
        if self.optimization_level not in (0, 1, 2, 3):
            raise ValueError(f"optimization_level must be 0-3; got {self.optimization_level!r}")
        if not isinstance(self.shots, int) or self.shots < 0:
            raise ValueError(f"shots must be a non-negative integer; got {self.shots!r}")
        if self.resilience_level not in (0, 1, 2):
            raise ValueError(f"resilience_level must be 0, 1 or 2; got {self.resilience_level!r}")


def load_profile(name: str, directory: Path = PROFILE_DIR) -> RunProfile:
    """Loads ``<directory>/<name>.toml``.

    Raises:
        ValueError: On an unknown profile (listing the valid ones) or unknown keys.
    """
    path = directory / f"{name}.toml"
    if not path.is_file():
        valid = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
        raise ValueError(f"unknown profile {name!r}; expected one of: {valid}")
    data = tomllib.loads(path.read_text())
    unknown = set(data) - set(RunProfile.__dataclass_fields__)
    if unknown:
        raise ValueError(f"profile {name!r} has unknown keys {sorted(unknown)}")
    return RunProfile(**data)
