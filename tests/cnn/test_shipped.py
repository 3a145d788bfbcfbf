"""The shipped CNN checkpoints: installed instead of trained, checked by hash, and behind the README's result."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qcnn_tl.cnn import pretrain as pretrain_module
from qcnn_tl.cnn import shipped
from qcnn_tl.cnn.pretrain import PretrainConfig, ensure_pretrained
from qcnn_tl.errors import QcnnTlError

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*_, **__):
        raise AssertionError("trained a CNN that is shipped")

    monkeypatch.setattr(pretrain_module, "pretrain", refuse)


@pytest.mark.parametrize("width", [8, 12, 16, 30, 32, 256])
def test_a_default_cnn_is_installed_from_the_package(width, tmp_path, no_training):
    checkpoint = ensure_pretrained(PretrainConfig(num_features=width), cache_dir=tmp_path)
    entry = shipped.manifest()[f"fashion_cnn_F{width}_e5_s0.pt"]
    assert checkpoint.content_hash == entry["content_hash"]
    assert checkpoint.metadata["test_accuracy"] == entry["fashion_mnist_test_accuracy"]
    assert (tmp_path / "cnn" / f"fashion_cnn_F{width}_e5_s0.pt").is_file()


def test_other_settings_are_trained(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(pretrain_module, "pretrain", lambda config, **_: calls.append(config) or "trained")
    for config in (PretrainConfig(num_features=8, epochs=1), PretrainConfig(num_features=8, lr=0.01)):
        assert ensure_pretrained(config, cache_dir=tmp_path) == "trained"
    assert len(calls) == 2
    assert ensure_pretrained(PretrainConfig(num_features=8, train_subset=6000), cache_dir=tmp_path) == "trained"


def test_a_damaged_shipped_file_is_an_error(tmp_path, monkeypatch, no_training):
    entries = shipped.manifest()
    entries["fashion_cnn_F8_e5_s0.pt"] = {**entries["fashion_cnn_F8_e5_s0.pt"], "sha256": "0" * 64}
    monkeypatch.setattr(shipped, "manifest", lambda: entries)
    with pytest.raises(QcnnTlError, match="installation is damaged"):
        ensure_pretrained(PretrainConfig(num_features=8), cache_dir=tmp_path)
    assert not (tmp_path / "cnn" / "fashion_cnn_F8_e5_s0.pt").exists()


@pytest.mark.slow
def test_the_main_job_on_an_empty_cache_prints_the_readme_accuracy(tmp_path, data_dir, capsys):
    from qcnn_tl.cli.main import main

    out = tmp_path / "main"
    assert main(["run", "--out", str(out), "--data-dir", str(data_dir), "--cache-dir", str(tmp_path / "c")]) == 0
    result = json.loads((out / "result.json").read_text())
    row = next(line for line in README.read_text().splitlines() if line.startswith("| `qcnn-tl run`:"))
    readme = float(re.search(r"\| (0\.\d{4})", row).group(1))
    assert result["test_accuracy"] == pytest.approx(readme, abs=5e-5)
    assert result["cnn"]["content_hash"] == shipped.manifest()["fashion_cnn_F256_e5_s0.pt"]["content_hash"]
