from __future__ import annotations

import torch

from qcnn_tl.cnn.backbone import Backbone, cnn_backbone
from qcnn_tl.cnn.features import feature_cache_path, source_features


def _counting(backbone: Backbone, calls: list[int]) -> Backbone:
    original = backbone.features

    def features(images):
        calls.append(len(images))
        return original(images)

    backbone.features = features
    return backbone


def test_cache_is_reused_and_invalid_files_rebuilt(small_cnn, data_dir, tmp_path):
    """On 700 MNIST images written as arrays by the test (an arrays source is keyed by its content)."""
    import numpy as np

    from qcnn_tl.data.datasets import load_images

    train, train_y = load_images("mnist", "train", data_dir=data_dir)
    test, test_y = load_images("mnist", "test", data_dir=data_dir)
    file = tmp_path / "digits.npz"
    np.savez(
        file,
        x_train=train[:600, 0].numpy(),
        y_train=train_y[:600].numpy(),
        x_test=test[:100, 0].numpy(),
        y_test=test_y[:100].numpy(),
    )
    name = f"arrays:{file}"
    calls: list[int] = []
    backbone = _counting(cnn_backbone(small_cnn), calls)
    first = source_features(backbone, name, cache_dir=tmp_path)
    assert first.test_features.shape == (100, 256) and first.train_features.shape == (600, 256)
    assert sum(calls) == 700 and first.classes == tuple(str(d) for d in range(10))
    again = source_features(backbone, name, cache_dir=tmp_path)
    assert sum(calls) == 700 and torch.equal(first.test_features, again.test_features)
    paths = list((tmp_path / "features").rglob("*.pt"))
    assert len(paths) == 1
    path = paths[0]
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # truncated
    rebuilt = source_features(backbone, name, cache_dir=tmp_path)
    assert sum(calls) == 1400 and torch.equal(rebuilt.test_features, first.test_features)

    payload = torch.load(path, weights_only=True)
    payload["test_features"][0, 0] += 1.0  # stale content, digest no longer matches
    torch.save(payload, path)
    source_features(backbone, name, cache_dir=tmp_path)
    assert sum(calls) == 2100

    np.savez(
        file,
        x_train=train[1:601, 0].numpy(),
        y_train=train_y[1:601].numpy(),
        x_test=test[:100, 0].numpy(),
        y_test=test_y[:100].numpy(),
    )
    source_features(backbone, name, cache_dir=tmp_path)  # new content under the same name: its own entry
    assert sum(calls) == 2800 and len(list((tmp_path / "features").rglob("*.pt"))) == 2


def test_features_match_direct_extraction(small_cnn, data_dir, tmp_path):
    from qcnn_tl.data.datasets import load_images

    feats = source_features(cnn_backbone(small_cnn), "mnist", data_dir=data_dir, cache_dir=tmp_path)
    images, _ = load_images("mnist", "test", data_dir=data_dir)
    with torch.no_grad():
        direct = small_cnn.model.eval().features(images[:7])
    torch.testing.assert_close(feats.test_features[:7], direct)


def test_backbones_and_sources_are_cached_apart(data_dir, tmp_path):
    """Each backbone (one per CNN width) and each source keys its own feature file."""
    from qcnn_tl.cnn.checkpoint import save_checkpoint
    from qcnn_tl.cnn.model import FeatureCNN

    torch.manual_seed(0)
    backbones = [cnn_backbone(save_checkpoint(tmp_path / f"F{w}.pt", FeatureCNN(w))) for w in (12, 30)]
    paths = set()
    for backbone in backbones:
        features = source_features(backbone, "fashion_mnist", data_dir=data_dir, cache_dir=tmp_path)
        assert features.test_features.shape == (10000, backbone.model.num_features)
        assert features.classes[9] == "Ankle boot"
        paths.add(feature_cache_path(backbone, "fashion_mnist", tmp_path))
    assert len(paths) == 2 and all(p.is_file() for p in paths)
