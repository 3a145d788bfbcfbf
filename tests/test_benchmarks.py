"""The scripts under ``benchmarks/`` import (``.ci/run`` runs each with ``--smoke``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.py"))
CI = Path(__file__).resolve().parents[1] / ".ci" / "run"


def test_ci_runs_every_benchmark_in_smoke_mode_and_type_checks_them():
    script = CI.read_text()
    assert 'for f in benchmarks/*.py; do .venv/bin/python "$f" --smoke; done' in script
    assert ".venv/bin/mypy qcnn_tl benchmarks tests" in script
    for path in BENCHMARKS:
        assert "--smoke" in path.read_text(), f"{path.name} has no --smoke mode"


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_imports(path):
    """What broke train_step.py once: a name it imports from qcnn_tl was renamed."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.main)
