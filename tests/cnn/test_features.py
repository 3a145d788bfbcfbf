from __future__ import annotations

import torch

import qcnn_tl.cnn.features as features_module
from qcnn_tl.cnn.features import cached_features, feature_cache_path


def test_cache_is_reused_and_invalid_files_rebuilt(small_cnn, data_dir, tmp_path, monkeypatch):
    calls = []
    original = features_module.extract_features

    def counting(checkpoint, images, batch_size=2000):
        calls.append(len(images))
        return original(checkpoint, images, batch_size)

    monkeypatch.setattr(features_module, "extract_features", counting)
    first, labels = cached_features(small_cnn, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
    assert first.shape == (10000, 256) and len(labels) == 10000 and calls == [10000]
    again, _ = cached_features(small_cnn, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
    assert calls == [10000] and torch.equal(first, again)

    path = feature_cache_path(small_cnn, "mnist", "test", tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated
    rebuilt, _ = cached_features(small_cnn, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
    assert calls == [10000, 10000] and torch.equal(rebuilt, first)

    payload = torch.load(path, weights_only=True)
    payload["features"][0, 0] += 1.0  # stale content, digest no longer matches
    torch.save(payload, path)
    cached_features(small_cnn, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
    assert calls == [10000, 10000, 10000]


def test_features_match_direct_extraction(small_cnn, data_dir, tmp_path):
    from qcnn_tl.data.datasets import load_images

    feats, _ = cached_features(small_cnn, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
    images, _ = load_images("mnist", "test", data_dir=data_dir)
    with torch.no_grad():
        direct = small_cnn.model.eval().features(images[:7])
    torch.testing.assert_close(feats[:7], direct)


def test_features_of_other_widths_are_cached_apart(data_dir, tmp_path, monkeypatch):
    """Each CNN width (one per encoding family) keys its own feature files (first 500 images, for speed)."""
    from qcnn_tl.cnn.checkpoint import save_checkpoint
    from qcnn_tl.cnn.model import FeatureCNN

    original = features_module.load_images

    def first_images(*args, **kwargs):
        images, labels = original(*args, **kwargs)
        return images[:500], labels[:500]

    monkeypatch.setattr(features_module, "load_images", first_images)
    torch.manual_seed(0)
    checkpoints = [save_checkpoint(tmp_path / f"F{w}.pt", FeatureCNN(w)) for w in (12, 30)]
    paths = set()
    for checkpoint in checkpoints:
        features, labels = cached_features(checkpoint, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
        assert features.shape == (500, checkpoint.model.num_features) and len(labels) == 500
        again, _ = cached_features(checkpoint, "mnist", "test", data_dir=data_dir, cache_dir=tmp_path)
        assert torch.equal(again, features)
        paths.add(feature_cache_path(checkpoint, "mnist", "test", tmp_path))
    assert len(paths) == 2 and all(p.is_file() for p in paths)
