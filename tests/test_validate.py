from __future__ import annotations

import doctest
from types import SimpleNamespace

import pytest

import qcnn_tl._validate
from qcnn_tl._validate import check_seed, check_settings


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), 0, -1.0, "0.1", True])
def test_positive_rejects_non_finite_and_non_numbers(value):
    with pytest.raises(ValueError, match=r"lr must be positive and finite; got"):
        check_settings(SimpleNamespace(lr=value), positive=("lr",))


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "0.5", None, False])
def test_numbers_must_be_finite(value):
    with pytest.raises(ValueError, match=r"momentum must be a finite number; got"):
        check_settings(SimpleNamespace(momentum=value), numbers=("momentum",))


def test_valid_settings_pass():
    check_settings(SimpleNamespace(lr=1e-3, steps=3, m=0, seed=2**63 - 1), positive=("lr",), numbers=("m",))
    check_settings(SimpleNamespace(seed=0), seeds=("seed",))


@pytest.mark.parametrize("value", [-1, 2**63, 1.5, 1.0, "0", True, None])
def test_bad_seeds(value):
    with pytest.raises(ValueError, match=rf"seed must be an integer in \[0, 2\*\*63\); got {value!r}"):
        check_seed("seed", value)


def test_doctest():
    assert doctest.testmod(qcnn_tl._validate).failed == 0
