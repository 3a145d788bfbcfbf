from __future__ import annotations

import pytest
import torch

from qcnn_tl.data.datasets import load_images
from qcnn_tl.data.tasks import parse_task
from qcnn_tl.errors import QcnnTlError


@pytest.mark.parametrize(("task", "train", "test"), [("0,1", 12665, 2115), ("2,3", 12089, 2042), ("8,9", 11800, 1983)])
def test_pair_sizes_match_spec(task, train, test, data_dir):
    for split, size in (("train", train), ("test", test)):
        _, labels = load_images("mnist", split, data_dir=data_dir)
        index, _ = parse_task(task).select(labels)
        assert len(index) == size


def test_first_class_of_pair_is_label_one():
    digits = torch.tensor([0, 1, 2, 1, 0])
    index, y = parse_task("0,1").select(digits)
    assert index.tolist() == [0, 1, 3, 4]
    assert y.tolist() == [1, 0, 0, 1]
    _, y = parse_task("1,0").select(digits)
    assert y.tolist() == [0, 1, 1, 0]


def test_odd_even_and_gt4():
    digits = torch.arange(10)
    assert parse_task("odd-even").select(digits)[1].tolist() == [0, 1] * 5
    assert parse_task("gt4").select(digits)[1].tolist() == [0] * 5 + [1] * 5


@pytest.mark.parametrize("bad", ["0", "0,0", "0,1,2", "a,b", "10,1", "odd", "²,3", "٣,1", "1,", ",1", "01,2", 5])
def test_bad_task_names(bad):
    with pytest.raises(ValueError, match=r"expected two distinct digits 'a,b' written with ASCII 0-9"):
        parse_task(bad)


def test_spaces_around_digits_are_allowed():
    assert parse_task(" 2, 3").name == "2,3"


def test_empty_task_is_an_error():
    with pytest.raises(ValueError, match="selects no samples"):
        parse_task("8,9").select(torch.tensor([0, 1, 2]))


def test_missing_data_says_where_it_looked(tmp_path):
    with pytest.raises(QcnnTlError, match=r"MNIST train data not found under .*--data-dir.*--download"):
        load_images("mnist", "train", data_dir=tmp_path)


def test_data_dir_from_environment(monkeypatch, data_dir):
    monkeypatch.setenv("QCNN_TL_DATA", str(data_dir))
    images, labels = load_images("fashion_mnist", "test")
    assert images.shape == (10000, 1, 28, 28) and float(images.max()) <= 1.0
    assert len(labels) == 10000


def _idx(path, shape, payload):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 8, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)
    path.write_bytes(header + bytes(payload))


class TestDataFiles:
    """Missing files and damaged files are told apart, and the file is named."""

    def _mnist(self, root, *, test_images_bytes):
        raw = root / "MNIST" / "raw"
        for prefix, n in (("train", 3), ("t10k", 2)):
            _idx(raw / f"{prefix}-labels-idx1-ubyte", (n,), [0] * n)
            size = n * 28 * 28 if prefix == "train" else test_images_bytes
            _idx(raw / f"{prefix}-images-idx3-ubyte", (n, 28, 28), [0] * size)
        return raw

    def test_missing_files_are_named(self, tmp_path):
        raw = self._mnist(tmp_path, test_images_bytes=2 * 28 * 28)
        (raw / "train-labels-idx1-ubyte").unlink()
        with pytest.raises(QcnnTlError, match=r"MNIST test data not found under .*missing in .*raw: train-labels"):
            load_images("mnist", "test", data_dir=tmp_path)

    def test_truncated_file_is_named_not_missing(self, tmp_path):
        raw = self._mnist(tmp_path, test_images_bytes=100)
        with pytest.raises(QcnnTlError) as info:
            load_images("mnist", "test", data_dir=tmp_path)
        message = str(info.value)
        assert message.startswith(f"{raw / 't10k-images-idx3-ubyte'} is corrupt or truncated (116 bytes;")
        assert "shape (2, 28, 28), i.e. 1584 bytes" in message and "not found" not in message
        images, labels = load_images("mnist", "train", data_dir=tmp_path)  # the other split is intact
        assert images.shape == (3, 1, 28, 28) and labels.tolist() == [0, 0, 0]

    def test_not_an_idx_file(self, tmp_path):
        raw = self._mnist(tmp_path, test_images_bytes=2 * 28 * 28)
        (raw / "t10k-labels-idx1-ubyte").write_text("<html>404</html>")
        with pytest.raises(QcnnTlError, match=r"t10k-labels-idx1-ubyte is corrupt or truncated \(16 bytes, not an IDX"):
            load_images("mnist", "test", data_dir=tmp_path)
