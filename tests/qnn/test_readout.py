from __future__ import annotations

import numpy as np
import pytest
import torch

from qcnn_tl.qnn.readout import accuracy, confusion_matrix, predict


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


class TestConfusionMatrix:
    def test_counts_label_rows_and_prediction_columns(self):
        matrix = confusion_matrix(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), 3)
        assert matrix.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]

    def test_replicas_get_a_matrix_each(self):
        predicted = torch.tensor([[0, 1, 1], [1, 1, 1]])
        matrix = confusion_matrix(predicted, torch.tensor([0, 1, 0]), 2)
        assert matrix.shape == (2, 2, 2)
        assert matrix.tolist() == [[[1, 1], [0, 1]], [[0, 2], [0, 1]]]

    @pytest.mark.parametrize(
        ("predicted", "labels", "message"),
        [([0, 3], [0, 1], r"predicted must lie in 0\.\.2; got \[0, 3\]"), ([0, 1], [-1, 1], "labels must lie")],
    )
    def test_values_outside_the_classes_are_refused(self, predicted, labels, message):
        with pytest.raises(ValueError, match=message):
            confusion_matrix(torch.tensor(predicted), torch.tensor(labels), 3)
