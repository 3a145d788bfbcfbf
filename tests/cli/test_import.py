"""``qcnn-tl --import``: blocks of the user's own, registered by a module, used by any command."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from qcnn_tl.cli.main import main

BLOCKS = """
from qiskit.circuit import ParameterVector, QuantumCircuit

import qcnn_tl

t = ParameterVector("t", 3)
block = QuantumCircuit(2)
block.ry(t[0], 0)
block.ry(t[1], 1)
block.cz(0, 1)
block.rx(t[2], 1)
qcnn_tl.register_ansatz("cli_block", block)
"""


def test_a_module_registers_an_ansatz_for_train_and_the_transpile_report(registries, data_dir, tmp_path, capsys):
    module = tmp_path / "my_blocks.py"
    module.write_text(textwrap.dedent(BLOCKS))
    out = tmp_path / "run"
    args = ["--import", str(module), "train", "--ansatz", "cli_block", "--encoding", "angle", "--steps", "3"]
    assert main([*args, "--out", str(out), "--quiet", "--data-dir", str(data_dir)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["ansatz"] == "cli_block" and result["model"]["num_weights"] == 3 * 3 + 3 * 2
    assert [b["name"] for b in result["blocks"]] == ["cli_block"]
    capsys.readouterr()
    report = ["--import", str(module), "transpile-report", "--backend", "fake_torino", "--ansatz", "cli_block"]
    assert main([*report, "--pooling", "zx", "--encoding", "angle", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["ansatz"] == "cli_block" and row["two_qubit_gates"] > 0
    # a new process rebuilds the model from the QPY in result.json, with no --import
    code = (
        "import qcnn_tl; from qcnn_tl.results import RunResult; from qcnn_tl.training.config import TrainConfig;"
        f"r = RunResult.read({str(out / 'result.json')!r}, TrainConfig);"
        "t = qcnn_tl.build_qcnn(r.config.ansatz, r.config.pooling, encoding=r.config.encoding);"
        "print(t.num_weights)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "15"


def test_a_module_that_fails_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("raise RuntimeError('boom')\n")
    assert main(["--import", str(bad), "noise-models", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"qcnn-tl noise-models: error: --import {bad}: RuntimeError: boom"
    assert main(["--import", "no_such_module_here", "noise-models", "list"]) == 2
    assert "--import no_such_module_here: ModuleNotFoundError" in capsys.readouterr().err
    assert main(["--import", str(tmp_path / "missing.py"), "noise-models", "list"]) == 2
    assert "no such file" in capsys.readouterr().err
