"""The noisy engine: exact, differentiable expectation values of ISA circuits under a device's Aer noise model.

See ``docs/noise.md``.
"""

from qcnn_tl.qnn.noisy.device import DeviceNoise, device_noise
from qcnn_tl.qnn.noisy.engine import NoisyEngine, sample_expectation
from qcnn_tl.qnn.noisy.model import NoisyQCNN

__all__ = ["DeviceNoise", "NoisyEngine", "NoisyQCNN", "device_noise", "sample_expectation"]
