from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qcnn_tl._io import write_json
from qcnn_tl.reports.cnn_seeds import cnn_seed_markdown, paired_verdicts, spread
from qcnn_tl.reports.paper import PAPER_C2C
from qcnn_tl.reports.summary import load_results, summarize
from tests.results import result_json

# accuracies[cnn seed][repetition]
C2Q = {0: [0.90, 0.92], 1: [0.80, 0.84], 2: [0.95, 0.93]}
WEAK = {0: [0.70, 0.72], 1: [0.71, 0.69], 2: [0.60, 0.62]}
C2C_1D = {0: [0.85, 0.87], 1: [0.86, 0.88], 2: [0.90, 0.92]}
C2C_2D = {0: [0.50, 0.52], 1: [0.51, 0.53], 2: [0.55, 0.57]}


def _write(root, name, config, weights, accuracies):
    for cnn, values in accuracies.items():
        for seed, accuracy in enumerate(values):
            record = {**config, "task": "0,1", "seed": seed, "cnn_seed": cnn}
            path = root / "runs" / name / f"cnn{cnn}" / f"seed{seed}.json"
            write_json(path, result_json(record, accuracy, num_weights=weights))


@pytest.fixture
def folder(tmp_path):
    qcnn = {"encoding": "angle", "pooling": "zx"}
    _write(tmp_path, "angle/0-1/U_SU4_zx", {**qcnn, "ansatz": "U_SU4"}, 51, C2Q)
    _write(tmp_path, "angle/0-1/U_TTN_zx", {**qcnn, "ansatz": "U_TTN"}, 12, WEAK)
    _write(tmp_path, "c2c/0-1/C2C_1D", {"head": "1d"}, 64, C2C_1D)
    _write(tmp_path, "c2c/0-1/C2C_2D", {"head": "2d"}, 76, C2C_2D)
    return tmp_path


def test_variance_splits_into_between_and_within_cnns(folder):
    cells = {c.model[0]: c for c in load_results(folder).cells}
    found = spread(cells["U_SU4"])
    rows = np.array([C2Q[c] for c in sorted(C2Q)])
    assert found.means == pytest.approx(dict(enumerate(rows.mean(axis=1))), abs=1e-15)
    assert found.between == pytest.approx(rows.mean(axis=1).std(ddof=1), abs=1e-15)
    assert found.within == pytest.approx(np.sqrt(rows.var(axis=1, ddof=1).mean()), abs=1e-15)
    paper = PAPER_C2C["1d"]["0,1"]  # 0.9521: above every per-CNN mean of the 1D head
    assert paper > max(np.mean(v) for v in C2C_1D.values())
    assert spread(cells["1d"]).paper_position == "above every CNN"
    assert spread(cells["U_SU4"]).paper_position == ""


def test_paired_verdict_compares_the_best_c2q_with_the_stronger_c2c_cnn_by_cnn(folder):
    [verdict] = paired_verdicts(load_results(folder).cells)
    assert (verdict.c2q.model, verdict.c2c.model) == (("U_SU4", "zx"), ("1d", ""))
    expected = {c: np.mean(C2Q[c]) - np.mean(C2C_1D[c]) for c in C2Q}  # +0.05, -0.05, +0.03
    assert verdict.differences == pytest.approx(expected, abs=1e-15)
    assert verdict.wins == 2 and verdict.answer == "depends on the CNN"
    assert verdict.mean == pytest.approx(np.mean(list(expected.values())), abs=1e-15)


def test_summary_carries_the_cnn_tables_only_with_several_cnns(folder, tmp_path_factory):
    text = summarize(folder)["markdown"]
    assert "Two sources of variance" in text and "C2Q against C2C on the same CNN" in text
    assert "| angle | 0,1 | U_SU4 / ZX | C2C 1D | +5.00 / -5.00 / +3.00 |" in text
    single = [c for c in load_results(folder).cells if c.cnn_seeds]
    one_cnn = [type(c)(c.group, c.model, c.task, c.num_weights, c.accuracies[:2], {}, c.cnn_seeds[:2]) for c in single]
    assert cnn_seed_markdown(one_cnn) == ""


def test_paired_verdict_winning_on_every_cnn_within_the_spread_is_not_a_clear_yes(folder):
    [verdict] = paired_verdicts(load_results(folder).cells)
    close = replace(verdict, differences={0: 0.001, 1: 0.05})  # wins on both, mean 0.0255 < std 0.0347
    assert close.wins == 2 and close.mean < close.std
    assert close.answer == "on every CNN, within the spread"
    assert replace(verdict, differences={0: 0.04, 1: 0.05}).answer == "yes"
