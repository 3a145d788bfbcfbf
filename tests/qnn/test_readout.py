from __future__ import annotations

import numpy as np
import pytest
import torch

from qcnn_tl.qnn.readout import accuracy, predict


def test_label_one_unless_z_is_positive_on_arrays_and_tensors():
    z = [0.3, 0.0, -0.2, 1e-17, -1e-17]
    assert predict(np.array(z)).tolist() == [0, 1, 1, 0, 1]
    found = predict(torch.tensor(z, dtype=torch.float64))
    assert found.dtype == torch.int64 and found.tolist() == [0, 1, 1, 0, 1]


def test_accuracy_counts_matches_and_checks_shapes():
    assert accuracy(np.array([0.5, -0.5, -0.1, 0.2]), np.array([0, 1, 0, 0])) == 0.75
    assert accuracy(torch.tensor([0.5, -0.5]), torch.tensor([0, 1])) == 1.0
    with pytest.raises(ValueError, match=r"expectations \(3,\) and labels \(2,\)"):
        accuracy(np.zeros(3), np.zeros(2))
