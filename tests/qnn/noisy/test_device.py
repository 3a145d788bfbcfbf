"""DeviceNoise reads Aer's private NoiseModel tables: a release without them is a clear error, not a traceback."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from qiskit.transpiler import Target
from qiskit_aer.noise import NoiseModel

from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.noisy.device import NOISE_MODEL_INTERNALS, DeviceNoise


def test_the_installed_aer_has_the_tables_read():
    DeviceNoise("empty", 1.0, Target(), NoiseModel())


@pytest.mark.parametrize("name", NOISE_MODEL_INTERNALS)
def test_a_missing_table_names_the_aer_version(name):
    noise_model = NoiseModel()
    delattr(noise_model, name)
    with pytest.raises(QcnnTlError, match=rf"NoiseModel\.{name}, which qiskit-aer {version('qiskit-aer')} no longer"):
        DeviceNoise("empty", 1.0, Target(), noise_model)
