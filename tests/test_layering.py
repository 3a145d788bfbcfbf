"""The package's layering, read from the code: every import (module-level or deferred) goes down or sideways.

Layers, bottom to top (a subpackage may import its own modules and anything below it):

0. helpers: ``errors``, ``_paths``, ``_validate``, ``_registry``, ``_io``, ``_progress``
1. ``circuits``: the Qiskit templates (no torch)
2. ``results``: the run-result type (generic in the settings it records; it restores the user's own blocks
   it stores, so it sits above ``circuits``)
3. ``backends``: devices, transpilation, profiles, execution, job manifests (no torch)
4. ``data``: datasets and tasks
5. ``cnn``: the CNN, its pre-training, its cached features and a task's data
6. ``qnn``: the engines (exact, noisy, Aer, estimator in the loop)
7. ``training``, ``c2c``: training the QCNN and the classical heads
8. ``sweep``, ``evaluation``: grids of runs, evaluating trained models on targets
9. ``reports``: tables, charts, drawings
10. ``cli`` and the package's public names (``qcnn_tl/__init__.py``)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qcnn_tl"
LAYERS = [
    {"errors", "_paths", "_validate", "_registry", "_io", "_progress"},
    {"circuits"},
    {"results"},
    {"backends"},
    {"data"},
    {"cnn"},
    {"qnn"},
    {"training", "c2c"},
    {"sweep", "evaluation"},
    {"reports"},
    {"cli", "__init__"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def _part(module: str) -> str:
    """``qcnn_tl.qnn.exact.engine`` → ``qnn``; ``qcnn_tl`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports() -> list[tuple[str, str, str]]:
    """(importing file, its part, imported part) for every qcnn_tl import in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "qcnn_tl" or name.startswith("qcnn_tl."):
                    found.append((str(path.relative_to(PACKAGE.parent)), _part(module), _part(name)))
    return found


def test_every_subpackage_has_a_layer():
    parts = {_part(".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)) for p in PACKAGE.rglob("*.py")}
    assert parts - set(LEVEL) == set(), "add the new subpackage to LAYERS"


def test_imports_only_go_down_the_layers():
    imports = _imports()
    assert len(imports) > 100  # the walk sees the package's imports
    upward = sorted(
        f"{path}: {part} (layer {LEVEL[part]}) imports {target} (layer {LEVEL[target]})"
        for path, part, target in imports
        if part != target and (LEVEL[target] > LEVEL[part] or LEVEL[target] == LEVEL[part] != 0)
    )
    assert upward == []


@pytest.mark.parametrize("package", ["circuits", "backends"])
def test_circuits_and_backends_do_not_import_torch(package):
    modules = [
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in sorted((PACKAGE / package).rglob("*.py"))
    ]
    code = f"import sys\nfor m in {modules!r}:\n    __import__(m)\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
