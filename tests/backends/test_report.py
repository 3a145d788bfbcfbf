from __future__ import annotations

import json

import pytest

from qcnn_tl.cli.main import main
from qcnn_tl.reports.transpile_report import transpile_report


def test_report_rows_and_encoding_cost():
    rows = transpile_report(["fake_torino"], models=[("U_SU4", "zx"), ("U_TTN", "zx")], optimization_levels=(0, 1))
    assert len(rows) == 8
    for r in rows:
        assert {"backend", "ansatz", "pooling", "encoding", "depth", "two_qubit_gates", "layout"} <= set(r)
        assert 0 < r["estimated_fidelity"] <= 1
        assert r["two_qubit_depth"] <= r["depth"]
    amp = next(r for r in rows if r["encoding"] == "amplitude" and r["ansatz"] == "U_SU4")
    ang = next(r for r in rows if r["encoding"] == "angle" and r["ansatz"] == "U_SU4")
    assert amp["two_qubit_gates"] > 5 * ang["two_qubit_gates"]
    assert amp["estimated_fidelity"] < ang["estimated_fidelity"]


def test_cli_json_csv_png(tmp_path, capsys):
    code = main(
        [
            "transpile-report",
            "--backend",
            "fake_brisbane",
            "--ansatz",
            "U_TTN",
            "--pooling",
            "zx",
            "--json",
            "--csv",
            str(tmp_path / "r.csv"),
            "--png",
            str(tmp_path / "r.png"),
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["encoding"] for r in rows] == ["amplitude", "angle"]
    assert (tmp_path / "r.csv").read_text().startswith("backend,ansatz,pooling,encoding")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["transpile-report", "--backend", "fake_nowhere"]) == 2


def test_chosen_layout_is_at_least_as_good_as_the_default():
    rows = transpile_report(["fake_brisbane"], models=[("U_TTN", "zx")], encodings=["angle"], layout_trials=4)
    (row,) = rows
    assert row["estimated_fidelity"] >= row["default_fidelity"]


def test_cli_initial_layout_errors_name_the_argument(capsys):
    base = ["transpile-report", "--backend", "fake_torino", "--ansatz", "U_TTN", "--pooling", "zx"]
    assert main([*base, "--encoding", "angle", "--initial-layout", "1", "2", "3"]) == 2
    assert "initial_layout must give one physical qubit per circuit qubit (8); got 3" in capsys.readouterr().err
    assert main([*base, "--encoding", "angle", "--initial-layout", "0", "1", "2", "3", "4", "5", "6", "999"]) == 2
    assert "initial_layout qubits must be integers in 0..132; got [999]" in capsys.readouterr().err
    assert main([*base, "--encoding", "angle", "--initial-layout", "0", "1", "2", "3", "4", "5", "6", "6"]) == 2
    assert "initial_layout names physical qubits more than once: [6]" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--csv", "--png"])
def test_cli_unwritable_output_is_named_before_transpiling(option, tmp_path, capsys, monkeypatch):
    def no_transpiling(*args, **kwargs):
        raise AssertionError("transpiled before the output was checked")

    monkeypatch.setattr("qcnn_tl.cli.transpile_report.transpile_report", no_transpiling)
    base = ["transpile-report", "--backend", "fake_torino", "--ansatz", "U_TTN", "--pooling", "zx"]
    missing = tmp_path / "no" / "such" / "out.csv"
    assert main([*base, option, str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"{option} {missing}: the folder {missing.parent} does not exist" in err and err.count("\n") == 1
    assert main([*base, option, str(tmp_path)]) == 2
    assert f"{option} {tmp_path} is a folder" in capsys.readouterr().err
    monkeypatch.setattr("os.access", lambda path, mode: False)  # a read-only folder (root ignores chmod)
    assert main([*base, option, str(tmp_path / "out")]) == 2
    assert f"{option} {tmp_path / 'out'} is not writable" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_report_row_for_the_users_blocks(registries):
    from qcnn_tl.backends.targets import fake_backend
    from qcnn_tl.circuits import register_ansatz, register_encoding, register_pooling
    from tests.circuits.test_registration import rx_encoding, ry_rz_cz_ry
    from tests.qnn.test_own_blocks import rzz_pooling

    register_ansatz("ryrz_cz", ry_rz_cz_ry())
    register_pooling("rzz_pool", rzz_pooling())
    register_encoding("rx8", rx_encoding())
    [own, builtin] = transpile_report(
        ["fake_brisbane"], models=[("ryrz_cz", "rzz_pool"), ("U_TTN", "zx")], encodings=["rx8"]
    )
    assert (own["ansatz"], own["pooling"], own["encoding"], own["num_weights"]) == ("ryrz_cz", "rzz_pool", "rx8", 18)
    assert set(own["gate_counts"]) - {"barrier"} <= set(fake_backend("fake_brisbane").target.operation_names)
    assert own["two_qubit_gates"] > 0 and 0 < own["estimated_fidelity"] < 1
    assert builtin["ansatz"] == "U_TTN" and own["two_qubit_gates"] != builtin["two_qubit_gates"]


def test_rows_count_the_encoding_part_apart():
    """Angle encoding has no two-qubit gate; mps2-1's staircase, on a device line, is its 13 (7 CX + 6 CZ) alone."""
    angle, mps = transpile_report(
        ["fake_brisbane"],
        models=[("U_SU4", "zx")],
        encodings=["angle", "mps2-1"],
        initial_layout=[3, 2, 0, 1, 6, 7, 5, 4],
    )
    assert angle["encoding_two_qubit_gates"] == 0 and 0 < angle["encoding_depth"] < angle["depth"]
    assert mps["encoding_two_qubit_gates"] == 13 and mps["two_qubit_gates"] > 13
