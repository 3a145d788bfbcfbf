"""The CNN for every feature width the encodings take, cached per width, feeding a short training run."""

from __future__ import annotations

import json
from typing import Literal

import pytest
import torch

from qcnn_tl.circuits import ENCODINGS
from qcnn_tl.cli.main import main
from qcnn_tl.cnn.backbone import cnn_backbone
from qcnn_tl.cnn.checkpoint import load_checkpoint, save_checkpoint
from qcnn_tl.cnn.model import FeatureCNN
from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained, pretrain
from qcnn_tl.cnn.task_data import TaskData
from qcnn_tl.data.datasets import load_images
from qcnn_tl.data.tasks import parse_task
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training

WIDTHS = sorted({encoding.num_features(8) for encoding in ENCODINGS.values()})


def test_the_encodings_need_these_widths():
    assert WIDTHS == [8, 12, 16, 30, 32, 256]
    for name in ENCODINGS:
        assert TrainConfig(encoding=name).num_features == ENCODINGS[name].num_features(8)


@pytest.mark.parametrize("width", WIDTHS)
def test_model_and_checkpoint_for_every_width(width, tmp_path):
    torch.manual_seed(width)
    model = FeatureCNN(width).eval()
    images = torch.rand(3, 1, 28, 28)
    assert model.features(images).shape == (3, width) and model(images).shape == (3, 10)
    saved = save_checkpoint(tmp_path / f"F{width}.pt", model)
    loaded = load_checkpoint(saved.path)
    assert loaded.metadata["num_features"] == width and loaded.content_hash == saved.content_hash
    assert torch.equal(loaded.model(images), model(images))
    assert f"_F{width}_" in PretrainConfig(num_features=width).cache_name()


@pytest.mark.parametrize("width", [0, -3, 2.5, True])
def test_bad_width_is_a_specific_error(width):
    with pytest.raises(ValueError, match=f"num_features must be a positive integer; got {width!r}"):
        FeatureCNN(width)
    with pytest.raises(ValueError, match="num_features must be a positive integer"):
        PretrainConfig(num_features=width)


def test_each_width_is_cached_on_its_own(data_dir, tmp_path, monkeypatch):
    configs = [PretrainConfig(num_features=w, epochs=1, train_subset=500, test_subset=200) for w in (12, 30)]
    first = [ensure_pretrained(c, data_dir=data_dir, cache_dir=tmp_path, progress=False) for c in configs]
    assert [c.model.num_features for c in first] == [12, 30]
    assert sorted(p.name for p in (tmp_path / "cnn").iterdir()) == [c.cache_name() for c in configs]

    def no_training(*args, **kwargs):
        raise AssertionError("a cached width was trained again")

    monkeypatch.setattr("qcnn_tl.cnn.pretrain.pretrain", no_training)
    again = [ensure_pretrained(c, data_dir=data_dir, cache_dir=tmp_path, progress=False) for c in configs]
    assert [c.content_hash for c in again] == [c.content_hash for c in first]


def small_task_data(checkpoint, data_dir, *, train: int, test: int) -> TaskData:
    """MNIST 0 vs 1 features of the first ``train``/``test`` task images under ``checkpoint``'s CNN."""

    def split(name: Literal["train", "test"], count: int) -> tuple[torch.Tensor, torch.Tensor]:
        images, digits = load_images("mnist", name, data_dir=data_dir)
        index, labels = parse_task("0,1").select(digits)
        return cnn_backbone(checkpoint).extract(images[index[:count]]).to(torch.float64), labels[:count]

    (train_x, train_y), (test_x, test_y) = split("train", train), split("test", test)
    return TaskData(
        train_x, train_y, test_x, test_y, checkpoint.content_hash, float(checkpoint.metadata["test_accuracy"])
    )


@pytest.mark.parametrize("encoding", ["amplitude-hybrid4-2", "angular-hybrid2-3"])
def test_training_with_a_hybrid_encoding(encoding, data_dir, tmp_path):
    """A CNN of the encoding's width feeds the library's training run (few images, few steps)."""
    config = TrainConfig(encoding=encoding, ansatz="U_TTN", steps=5, batch_size=10, checkpoint_every=5)
    small = PretrainConfig(num_features=config.num_features, epochs=1, train_subset=500, test_subset=100)
    checkpoint = pretrain(small, data_dir=data_dir, out=tmp_path / "cnn.pt", progress=False)
    data = small_task_data(checkpoint, data_dir, train=200, test=100)
    result = run_training(config, tmp_path / "run", data=data, progress=False)
    assert result.config.encoding == encoding and len(result.loss_history) == 5
    assert 0.0 <= result.test_accuracy <= 1.0 and (tmp_path / "run" / "result.json").is_file()


@pytest.mark.slow
def test_train_command_with_a_hybrid_encoding(data_dir, tmp_path, capsys):
    """`qcnn-tl train` end to end (cached CNN of width 32, features of all MNIST images; about 2 minutes)."""
    cache = tmp_path / "cache"
    config = PretrainConfig(num_features=32, epochs=1)
    small = PretrainConfig(num_features=32, epochs=1, train_subset=2000, test_subset=500)
    pretrain(small, data_dir=data_dir, out=cache / "cnn" / config.cache_name(), progress=False)
    out = tmp_path / "run"
    args = ["train", "--encoding", "amplitude-hybrid4-2", "--ansatz", "U_TTN", "--steps", "5", "--cnn-epochs", "1"]
    args += ["--out", str(out), "--data-dir", str(data_dir), "--cache-dir", str(cache), "--quiet"]
    assert main(args) == 0
    capsys.readouterr()
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["encoding"] == "amplitude-hybrid4-2"
    assert len(result["loss_history"]) == 5 and 0.0 <= result["test_accuracy"] <= 1.0
