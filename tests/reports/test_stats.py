"""The reports' one statistic: mean and sample standard deviation, against numpy."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from qcnn_tl.reports import stats as stats_module
from qcnn_tl.reports.stats import MeanStd, pooled_std


@pytest.mark.parametrize("n", [2, 3, 10])
def test_mean_and_sample_std_match_numpy(rng, n):
    values = rng.uniform(0.5, 1.0, n)
    stats = MeanStd.of(values.tolist())
    assert stats.n == n
    assert stats.mean == pytest.approx(values.mean(), abs=1e-15)
    assert stats.std == pytest.approx(values.std(ddof=1), abs=1e-15)


def test_one_value_has_no_spread():
    assert MeanStd.of([0.9]) == MeanStd(0.9, 0.0, 1)


def test_any_iterable_counts_once():
    assert MeanStd.of(v for v in (0.90, 0.94)) == MeanStd.of((0.90, 0.94))


def test_no_values_is_named():
    with pytest.raises(ValueError, match="values must hold at least one number"):
        MeanStd.of([])


@pytest.mark.parametrize(
    ("values", "signed", "text"),
    [
        ((0.90, 0.94), False, "92.00 ± 2.83"),
        ((0.5,), False, "50.00 ± 0.00"),
        ((0.01, 0.03), True, "+2.00 ± 1.41"),
        ((-0.01, -0.03), True, "-2.00 ± 1.41"),
    ],
)
def test_percent(values, signed, text):
    assert MeanStd.of(values).percent(signed=signed) == text


def test_pooled_std_matches_numpy(rng):
    rows = rng.uniform(0.5, 1.0, (4, 3))
    assert pooled_std(rows.tolist()) == pytest.approx(np.sqrt(rows.var(axis=1, ddof=1).mean()), abs=1e-15)


@pytest.mark.parametrize("samples", [[], [[0.9, 0.8], [0.7]]])
def test_pooled_std_needs_two_values_per_sample(samples):
    with pytest.raises(ValueError, match="samples must be one or more of two values or more"):
        pooled_std(samples)


def test_doctest():
    result = doctest.testmod(stats_module)
    assert (result.attempted, result.failed) == (1, 0)
