from __future__ import annotations

import pytest
import torch

from qcnn_tl.data.datasets import load_images
from qcnn_tl.data.tasks import BinaryTask, ClassTask, parse_task
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


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0", "expected 'A,B', 'A,rest' or 'A\\+B,C\\+D'"),
        ("1,", "expected 'A,B'"),
        (",1", "expected 'A,B'"),
        ("rest,1", "expected 'A,B'"),
        ("0,0", "names a class twice"),
        ("0+1,1", "names a class twice"),
        ("0,1,1", "names a class twice: 1"),
        ("0,1+2,2", "names a class twice: 2"),
        ("0,1,rest", "'rest' is for binary tasks"),
        ("0,1,10", "no class '10'"),
        ("0,,1", "expected 'A,B'"),
        ("a,b", "no class 'a'; the dataset's classes are: 0, 1, 2"),
        ("10,1", "no class '10'"),
        ("01,2", "no class '01'"),
        ("²,3", "no class '²'"),
        ("٣,1", "no class '٣'"),
        ("odd", "expected 'A,B'"),
        (5, "task must be a string"),
    ],
)
def test_bad_task_names(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_task(bad)


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class TestTasksByClass:
    def test_names_match_case_insensitively_with_spaces_and_underscores_alike(self):
        task = parse_task("SANDAL,ankle_boot", FASHION)
        assert (task.positive, task.negative) == ((5,), (9,))
        assert task.describe(FASHION) == "Sandal (1) vs Ankle boot (0)"

    def test_indices_one_vs_rest_and_groups(self):
        assert parse_task("5,9", FASHION).positive == (5,)
        rest = parse_task("bag,rest", FASHION)
        assert rest.positive == (8,) and rest.negative == (0, 1, 2, 3, 4, 5, 6, 7, 9)
        groups = parse_task("sandal+sneaker+ankle boot,shirt+t-shirt/top", FASHION)
        assert groups.positive == (5, 7, 9) and groups.negative == (6, 0)
        labels = torch.tensor([5, 6, 7, 8, 0])
        index, y = groups.select(labels)
        assert index.tolist() == [0, 1, 2, 4] and y.tolist() == [1, 0, 1, 0]

    def test_an_unknown_class_lists_the_datasets_classes(self):
        with pytest.raises(ValueError, match=r"no class 'boot'; the dataset's classes are: T-shirt/top, Trouser"):
            parse_task("sandal,boot", FASHION)

    def test_digit_tasks_only_on_digits(self):
        with pytest.raises(ValueError, match="needs a dataset of the ten digits"):
            parse_task("odd-even", FASHION)
        mnist_classes = [
            f"{d} - {w}"
            for d, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
        ]
        assert parse_task("odd-even", mnist_classes).positive == (1, 3, 5, 7, 9)
        assert parse_task("zero,one", mnist_classes).name == "zero,one"


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


class TestClassTask:
    def test_groups_are_labels_in_order(self):
        task = parse_task("3,1,0,2")
        assert task == ClassTask("3,1,0,2", ((3,), (1,), (0,), (2,)))
        digits = torch.tensor([0, 1, 2, 3, 4, 5, 3, 9])
        index, y = task.select(digits)
        assert index.tolist() == [0, 1, 2, 3, 6] and y.tolist() == [2, 1, 3, 0, 0]
        assert task.num_classes == 4

    def test_all_and_names(self):
        task = parse_task("all", FASHION)
        assert task.groups == tuple((i,) for i in range(10)) and task.num_classes == 10
        names = parse_task("sandal, bag+coat ,trouser", FASHION)
        assert names.groups == ((5,), (8, 4), (1,)) and names.name == "sandal,bag+coat,trouser"
        assert names.describe(FASHION) == "Sandal (0) vs Bag + Coat (1) vs Trouser (2)"
        assert parse_task("all", ["cat", "dog"]) == BinaryTask("all", (0,), (1,))

    def test_binary_tasks_keep_their_type(self):
        assert parse_task("0,1").num_classes == 2 and isinstance(parse_task("0,rest"), BinaryTask)

    def test_no_sample(self):
        with pytest.raises(ValueError, match="selects no samples"):
            parse_task("0,1,2").select(torch.tensor([5, 6]))
