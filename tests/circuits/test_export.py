from __future__ import annotations

from pathlib import Path

from qiskit import qasm3

from qcnn_tl.circuits.export import exported_templates, load_qpy
from qcnn_tl.reports.drawing import draw_template

EXPORTED = Path(__file__).resolve().parents[2] / "circuits"


def test_committed_exports_equal_the_built_templates():
    templates = exported_templates()
    assert len(templates) == 44
    for template in templates:
        qpy_file = EXPORTED / f"{template.name}.qpy"
        qasm_file = EXPORTED / f"{template.name}.qasm"
        assert qpy_file.is_file(), f"{qpy_file} missing: run `qcnn-tl circuits export`"
        expected = qasm3.dumps(template.circuit)
        loaded = load_qpy(qpy_file)  # fresh Parameter objects: compare gates, qubits and parameter names
        assert qasm3.dumps(loaded) == expected, f"{qpy_file} is stale: run `qcnn-tl circuits export`"
        assert [p.name for p in loaded.parameters] == [p.name for p in template.circuit.parameters]
        assert qasm_file.read_text() == expected + "\n", f"{qasm_file} is stale: run `qcnn-tl circuits export`"


def test_draw_writes_png(tmp_path):
    out = draw_template("U_TTN", "zx", tmp_path / "ttn.png", level=2)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
