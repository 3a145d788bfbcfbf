"""Run conditions: the strings results and sweeps have always written parse to the right types and back."""

from __future__ import annotations

import doctest
from dataclasses import replace

import pytest

from qcnn_tl.training import conditions as conditions_module
from qcnn_tl.training.conditions import NoiseCondition, RunCondition
from qcnn_tl.training.config import TrainConfig

BRISBANE = NoiseCondition("fake_brisbane")


class TestNoiseCondition:
    @pytest.mark.parametrize(
        ("key", "condition"),
        [
            ("ideal", NoiseCondition()),
            ("fake_brisbane", BRISBANE),
            ("fake_brisbane x2", NoiseCondition("fake_brisbane", 2.0)),
            ("fake_torino x0.5", NoiseCondition("fake_torino", 0.5)),
        ],
    )
    def test_keys_parse_and_come_back(self, key, condition):
        assert NoiseCondition.parse(key) == condition
        assert condition.key == key

    def test_scale_one_is_the_device_alone(self):
        assert NoiseCondition("fake_brisbane", 1).key == "fake_brisbane"

    @pytest.mark.parametrize("key", ["", "aer:fake_brisbane", "fake_brisbane xtwo", "fake_brisbane x-1"])
    def test_bad_keys_are_named(self, key):
        with pytest.raises(ValueError, match="a noise condition must be 'ideal', '<device>' or '<device> x<scale>'"):
            NoiseCondition.parse(key)

    def test_a_scale_needs_a_device(self):
        with pytest.raises(ValueError, match="scale needs a device"):
            NoiseCondition(None, 2.0)


class TestRunCondition:
    @pytest.mark.parametrize(
        ("key", "condition"),
        [
            ("angle", RunCondition("angle")),
            ("angle@fake_brisbane", RunCondition("angle", BRISBANE)),
            ("amplitude@fake_brisbane x2", RunCondition("amplitude", NoiseCondition("fake_brisbane", 2.0))),
            ("angle@aer", RunCondition("angle", backend="aer")),
            ("angle@aer:fake_brisbane", RunCondition("angle", backend="aer:fake_brisbane")),
            ("angle@ibm-local:fake_brisbane", RunCondition("angle", backend="ibm-local:fake_brisbane")),
            ("angle@ibm:ibm_brisbane", RunCondition("angle", backend="ibm:ibm_brisbane")),
        ],
    )
    def test_keys_parse_and_come_back(self, key, condition):
        assert RunCondition.parse(key) == condition
        assert condition.key == key

    @pytest.mark.parametrize(
        ("settings", "key", "engine"),
        [
            ({"encoding": "angle"}, "angle", "exact"),
            ({"encoding": "angle", "noise": "fake_brisbane", "noise_scale": 2}, "angle@fake_brisbane x2", "noisy"),
            ({"encoding": "angle", "noise": "fake_brisbane", "readout_error": True}, "angle@fake_brisbane", "noisy"),
            (
                {"encoding": "angle", "backend": "aer:fake_brisbane", "shots": 100},
                "angle@aer:fake_brisbane",
                "estimator",
            ),
        ],
    )
    def test_from_a_config(self, settings, key, engine):
        config = TrainConfig(**settings)
        condition = RunCondition.from_config(config)
        assert (condition.key, condition.engine) == (key, engine)
        assert (condition.readout_error, condition.shots) == (config.readout_error, config.shots)
        parsed = RunCondition.parse(key)  # the key leaves out readout error and shots
        assert replace(parsed, readout_error=config.readout_error, shots=config.shots) == condition

    @pytest.mark.parametrize(
        ("key", "trained", "evaluated"),
        [
            ("angle", "ideal", "ideal"),
            ("angle@fake_brisbane x2", "fake_brisbane x2", "fake_brisbane x2"),
            ("angle@aer", "aer", "ideal"),
            ("angle@aer:fake_brisbane", "aer:fake_brisbane", "fake_brisbane"),
            ("angle@ibm-local:fake_brisbane", "ibm-local:fake_brisbane", "fake_brisbane"),
            ("angle@ibm:ibm_brisbane", "ibm:ibm_brisbane", "ideal"),
        ],
    )
    def test_trained_and_evaluated_under(self, key, trained, evaluated):
        condition = RunCondition.parse(key)
        assert (condition.training, condition.evaluated_under.key) == (trained, evaluated)

    @pytest.mark.parametrize(
        ("key", "message"),
        [
            ("angle@ideal", "names its noise by device"),
            ("@fake_brisbane", "encoding must be an encoding's name"),
            ("angle@fake_brisbane xtwo", "a noise condition must be"),
        ],
    )
    def test_bad_keys_are_named(self, key, message):
        with pytest.raises(ValueError, match=message):
            RunCondition.parse(key)

    def test_noise_and_backend_exclude_each_other(self):
        with pytest.raises(ValueError, match="exclude each other"):
            RunCondition("angle", BRISBANE, backend="aer")

    def test_readout_error_needs_noise(self):
        with pytest.raises(ValueError, match="readout_error needs noise"):
            RunCondition("angle", readout_error=True)


def test_doctest():
    result = doctest.testmod(conditions_module)
    assert (result.attempted, result.failed) == (2, 0)
