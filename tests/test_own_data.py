"""Transfer learning on data, backbones and tasks of the user's own, from the CLI and from Python.

Real data that no one here made: scikit-learn's bundled handwritten digits (8×8 images, written by the test as an
image folder) and breast-cancer set (30 features, written as arrays); a TorchScript backbone saved by the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from qcnn_tl.cli.main import main
from qcnn_tl.cnn.backbone import BackboneSpec
from qcnn_tl.cnn.reduction import FeatureMap, fit_feature_map
from qcnn_tl.cnn.task_data import TaskData, task_data
from qcnn_tl.data.sources import load_source
from qcnn_tl.results import RunResult
from qcnn_tl.training.config import TrainConfig
from qcnn_tl.training.experiment import run_training

pytestmark = pytest.mark.xdist_group("own_data")


def _write_folder(root: Path, images: np.ndarray, labels: np.ndarray, names: list[str]) -> Path:
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = root / names[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{index:04d}.png")
    return root


@pytest.fixture(scope="module")
def digits_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scikit-learn's digits 3 and 8 as one image folder per class (16 grey levels scaled to 0-255)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = np.isin(digits.target, [3, 8])
    images = (digits.images[keep] * 255 / 16).round().astype(np.uint8)
    labels = np.where(digits.target[keep] == 3, 0, 1)
    return _write_folder(tmp_path_factory.mktemp("digits"), images, labels, ["three", "eight"])


@pytest.fixture(scope="module")
def cancer_arrays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scikit-learn's breast-cancer set as arrays: 30 features, the first 400 samples train, the rest test."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    path = tmp_path_factory.mktemp("cancer") / "cancer.npz"
    x, y = data.data.astype(np.float64), data.target.astype(np.int64)
    np.savez(path, x_train=x[:400], y_train=y[:400], x_test=x[400:], y_test=y[400:], classes=data.target_names)
    return path


class TestSources:
    def test_image_folder_is_split_by_a_seeded_stratified_holdout(self, digits_folder):
        data = load_source(f"imagefolder:{digits_folder}")
        assert data.classes == ("eight", "three") and data.kind == "images"
        assert data.sample_shape == (1, 8, 8) and float(data.train_x.max()) <= 1.0
        total = np.bincount(np.concatenate([data.train_y.numpy(), data.test_y.numpy()]))
        held = np.bincount(data.test_y.numpy())
        assert np.allclose(held / total, 0.2, atol=0.01)
        assert "held-out 0.2" in data.split
        again = load_source(f"imagefolder:{digits_folder}")
        assert torch.equal(again.test_x, data.test_x) and again.fingerprint == data.fingerprint

    def test_arrays_of_features(self, cancer_arrays):
        data = load_source(f"arrays:{cancer_arrays}")
        assert data.kind == "features" and data.sample_shape == (30,)
        assert data.classes == ("malignant", "benign") and len(data.test_y) == 169

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda p: "nosuch", "unknown dataset 'nosuch'; expected one of mnist, fashion_mnist"),
            (lambda p: "emnist", "unknown dataset 'emnist'"),
            (lambda p: f"arrays:{p / 'missing.npz'}", "missing.npz not found"),
            (lambda p: f"imagefolder:{p / 'missing'}", "is not a folder"),
        ],
    )
    def test_bad_names(self, tmp_path, make, message):
        with pytest.raises((ValueError, Exception), match=message):
            load_source(make(tmp_path))

    def test_bad_folders_and_arrays(self, tmp_path):
        one = tmp_path / "one" / "only"
        one.mkdir(parents=True)
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(one / "a.png")
        with pytest.raises(Exception, match="at least two"):
            load_source(f"imagefolder:{tmp_path / 'one'}")
        (tmp_path / "one" / "empty").mkdir()
        with pytest.raises(Exception, match=r"empty holds no images"):
            load_source(f"imagefolder:{tmp_path / 'one'}")
        cases = {
            "lengths": ({"y_train": np.zeros(3, np.int64)}, "x_train has 4 samples but y_train has 3 labels"),
            "nan": ({"x_test": np.full((2, 5), np.nan)}, "x_test contains NaN"),
            "labels": ({"y_test": np.array([0, 7])}, r"labels outside 0..1"),
            "missing": ({"x_test": None}, "lacks x_test"),
        }
        for name, (change, message) in cases.items():
            arrays = {
                "x_train": np.ones((4, 5)),
                "y_train": np.array([0, 1, 0, 1]),
                "x_test": np.ones((2, 5)),
                "y_test": np.array([0, 1]),
                "classes": np.array(["a", "b"]),
            }
            arrays.update(change)
            path = tmp_path / f"{name}.npz"
            np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
            with pytest.raises(Exception, match=message):
                load_source(f"arrays:{path}")


class TestFeatureMap:
    def test_pca_matches_an_independent_fit_and_round_trips(self, rng):
        from sklearn.decomposition import PCA

        x = rng.normal(size=(200, 30)) @ rng.normal(size=(30, 30))
        fitted = fit_feature_map(x, 8, encoding="amplitude")
        reference = PCA(n_components=8).fit(x)
        ours = fitted.apply(x)
        theirs = reference.transform(x)
        assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-8)
        assert FeatureMap.from_json(json.loads(json.dumps(fitted.to_json()))) == fitted
        angles = fit_feature_map(x, 8, encoding="angle").apply(x)
        assert np.allclose(angles.mean(0), 0, atol=1e-9) and np.allclose(angles.std(0), 1)

    def test_mps_encodings_take_the_features_in_magnitude_order(self, rng):
        from qcnn_tl.circuits.encoding import magnitude_order

        x = rng.normal(size=(40, 256)) * rng.uniform(0.1, 3, size=256)
        fitted = fit_feature_map(x, 256, encoding="mps2-1")
        assert fitted is not None and fitted.components is None and fitted.scale is None
        assert fitted.order == tuple(magnitude_order(x).tolist())
        np.testing.assert_array_equal(fitted.apply(x), x[:, magnitude_order(x)])
        assert FeatureMap.from_json(json.loads(json.dumps(fitted.to_json()))) == fitted
        assert fitted.describe() == "ordered by mean magnitude"
        with pytest.raises(ValueError, match="must be a permutation"):
            FeatureMap.from_json({**fitted.to_json(), "order": [0] * 256})

    def test_no_map_for_the_project_cnn_of_the_encodings_width(self, rng):
        assert fit_feature_map(rng.normal(size=(50, 8)), 8, encoding="angle") is None

    def test_too_many_components(self, rng):
        with pytest.raises(Exception, match="needs at least 8 training samples"):
            fit_feature_map(rng.normal(size=(5, 30)), 8, encoding="angle")
        with pytest.raises(Exception, match="use --feature-reduction pca"):
            fit_feature_map(rng.normal(size=(50, 30)), 8, encoding="angle", reduction="none")


class TestTaskDataFromArrays:
    def test_checks(self):
        x = np.zeros((4, 8))
        with pytest.raises(ValueError, match=r"train_labels must have shape \(4,\)"):
            TaskData.from_arrays(x, np.zeros(3), x, np.zeros(4))
        with pytest.raises(ValueError, match=r"test_labels must be 0..1, the classes of train_labels; got \[2\] too"):
            TaskData.from_arrays(x, np.zeros(4), x, np.array([0, 1, 2, 1]))
        data = TaskData.from_arrays(x, np.array([0, 1, 0, 1]), x, np.array([0, 1, 1, 1]))
        assert data.train_features.dtype == torch.float64 and data.source.dataset == "arrays"
        assert data.source.task == "1 vs 0"

    def test_k_classes(self):
        x = np.zeros((5, 8))
        data = TaskData.from_arrays(x, np.array([0, 1, 2, 3, 1.0]), x[:3], np.array([3, 0, 2]))
        assert data.train_labels.tolist() == [0, 1, 2, 3, 1] and data.train_labels.dtype == torch.int64
        assert data.source.task == "0 (0) vs 1 (1) vs 2 (2) vs 3 (3)"

    @pytest.mark.parametrize(
        ("train", "test", "message"),
        [
            ([0, 1, 3, 3, 1], [0, 1], r"train_labels must hold every class 0..3; classes \[2\] have no sample"),
            ([0, 1, 2, 2, 1], [0, 3], r"test_labels must be 0..2, the classes of train_labels; got \[3\] too"),
            ([0, 1, 2, 0.5, 1], [0, 1], r"train_labels must be whole numbers 0, 1, …, k - 1; got values"),
            ([0, 1, 2, 2, 1], [-1, 1], r"test_labels must be whole numbers 0, 1, …, k - 1; got values \[-1, 1\]"),
        ],
    )
    def test_bad_k_class_labels(self, train, test, message):
        x = np.zeros((5, 8))
        with pytest.raises(ValueError, match=message):
            TaskData.from_arrays(x, np.array(train), x[: len(test)], np.array(test))


def test_breast_cancer_arrays_from_python(cancer_arrays, tmp_path):
    """Ready-made features: PCA 30 → 8 and standardisation fitted on the training split, stored and reapplied."""
    config = TrainConfig(
        encoding="angle",
        ansatz="U_SU4",
        dataset=f"arrays:{cancer_arrays}",
        backbone="none",
        task="malignant,benign",
        steps=60,
    )
    data = task_data(config, progress=False)
    assert data.train_features.shape == (400, 8) and data.feature_map is not None
    result = run_training(config, tmp_path / "run", data=data, progress=False)
    assert result.test_accuracy > 0.85
    stored = RunResult.read(tmp_path / "run" / "result.json", TrainConfig)
    assert stored.source.task == "malignant (1) vs benign (0)" and stored.source.backbone == "none"
    assert stored.config.backbone == BackboneSpec("none")
    again = task_data(stored.config, feature_map=FeatureMap.from_json(stored.source.feature_map), fit=False)
    assert torch.equal(again.test_features, data.test_features)


def test_image_folder_from_the_cli_on_every_target(digits_folder, tmp_path, capsys):
    """The README's image-folder command, then the model evaluated by the Aer engine and under a fake device."""
    out = tmp_path / "digits"
    args = ["train", "--dataset", f"imagefolder:{digits_folder}", "--task", "three,eight", "--encoding", "angle"]
    assert main([*args, "--steps", "40", "--out", str(out), "--quiet", "--cache-dir", str(tmp_path / "cache")]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["source"]["dataset"] == f"imagefolder:{digits_folder}"
    assert result["source"]["transform"].startswith("1x8x8 -> 1x28x28")
    assert result["source"]["feature_map"] is None and result["test_accuracy"] > 0.8
    capsys.readouterr()
    for backend in ("aer", "aer:fake_brisbane"):
        run_dir = tmp_path / backend.replace(":", "-")
        code = main(
            [
                "evaluate",
                "--model",
                str(out / "result.json"),
                "--backend",
                backend,
                "--run-dir",
                str(run_dir),
                "--quiet",
                "--cache-dir",
                str(tmp_path / "cache"),
            ]
        )
        assert code == 0
        summary = json.loads((run_dir / "evaluation.json").read_text())
        assert summary["samples"] == result["num_test"]
        assert summary["ideal_accuracy"] == pytest.approx(result["test_accuracy"])
        accuracy = summary["accuracies"][summary["primary"]]
        if backend == "aer":
            assert accuracy == pytest.approx(result["test_accuracy"])
        else:
            assert 0.5 < accuracy <= 1.0


def test_torchscript_backbone(digits_folder, tmp_path):
    """A TorchScript backbone saved by the test (a random 3-channel conv net): images repeated to 3 channels,
    resized to 16×16, features reduced 32 → 8 by PCA and standardised."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()
    )
    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.script(net), path)
    backbone = BackboneSpec(f"torchscript:{path}", input_shape=(3, 16, 16), mean=(0.5,), std=(0.25,))
    config = TrainConfig(
        encoding="angle", dataset=f"imagefolder:{digits_folder}", task="three,eight", backbone=backbone
    )
    data = task_data(config, cache_dir=tmp_path / "cache", progress=False)
    assert data.feature_map is not None and data.feature_map.describe() == "PCA 32 -> 8, standardised"
    assert data.source.transform.startswith("1x8x8 -> 3x16x16 (channels repeated")
    with torch.no_grad():
        from qcnn_tl.cnn.backbone import prepare_images

        source = load_source(f"imagefolder:{digits_folder}")
        direct = net(prepare_images(source.test_x, (3, 16, 16), (0.5,), (0.25,))).numpy()
        index = torch.nonzero(torch.isin(source.test_y, torch.tensor([0, 1]))).flatten()
    np.testing.assert_allclose(data.test_features.numpy(), data.feature_map.apply(direct[index]), atol=1e-5)


def test_exported_backbone_matches_its_module(digits_folder, tmp_path):
    """A torch.export program (a dynamic batch dimension): the same features as the module it came from."""
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()
    )
    batch = torch.export.Dim("batch")
    program = torch.export.export(net, (torch.zeros(2, 1, 12, 12),), dynamic_shapes=({0: batch},))
    torch.export.save(program, tmp_path / "net.pt2")
    config = TrainConfig(
        encoding="angle",
        dataset=f"imagefolder:{digits_folder}",
        task="three,eight",
        backbone=BackboneSpec(f"export:{tmp_path / 'net.pt2'}", input_shape=(1, 12, 12)),
    )
    data = task_data(config, cache_dir=tmp_path / "cache", progress=False)
    from qcnn_tl.cnn.backbone import prepare_images

    source = load_source(f"imagefolder:{digits_folder}")
    with torch.no_grad():
        direct = net(prepare_images(source.test_x, (1, 12, 12))).numpy()
    assert data.feature_map is not None and data.feature_map.describe() == "PCA 24 -> 8, standardised"
    np.testing.assert_allclose(data.test_features.numpy(), data.feature_map.apply(direct), atol=1e-5)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dataset", "nosuch"], "unknown dataset 'nosuch'"),
        (["--task", "three,seven"], "no class 'seven'; the dataset's classes are: eight, three"),
        (["--backbone", "torchscript:{tmp}/not-a-model.pt"], "is not a TorchScript file"),
        (["--backbone", "export:{tmp}/not-a-model.pt"], "is not a program saved with torch.export.save"),
        (["--backbone", "module:no_such_module:make", "--backbone-weights", "{tmp}/w.pt"], "cannot import module"),
        (["--backbone", "module:torch.nn:Identity"], "needs its trained weights"),
        (
            [
                "--backbone",
                "module:torchvision.models:squeezenet1_1",
                "--backbone-weights",
                "{tmp}/sq.pt",
                "--backbone-layer",
                "nope",
            ],
            "has no layer 'nope'; its layers are: features",
        ),
        (
            ["--backbone", "torchscript:{tmp}/bad-shape.pt", "--backbone-input", "1,28,28"],
            r"does not run on images of shape \(\d+, 1, 28, 28\)",
        ),
        (["--backbone", "none"], "holds images; --backbone none is for ready-made features"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(digits_folder, tmp_path, capsys, extra, message):
    (tmp_path / "not-a-model.pt").write_text("hello")
    torch.save({"w": torch.zeros(1)}, tmp_path / "w.pt")
    import torchvision

    torch.save(torchvision.models.squeezenet1_1().state_dict(), tmp_path / "sq.pt")
    torch.jit.save(torch.jit.script(torch.nn.Conv2d(3, 4, 3)), tmp_path / "bad-shape.pt")
    out = tmp_path / "out"
    args = ["train", "--dataset", f"imagefolder:{digits_folder}", "--task", "three,eight", "--encoding", "angle"]
    args += [a.format(tmp=tmp_path) for a in extra]
    capsys.readouterr()
    code = main([*args, "--out", str(out), "--quiet", "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert re.search(message, err), err
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_own_data_trained_under_noise_and_run_in_runtime_local_mode(digits_folder, tmp_path, capsys):
    """`train --noise` on the image folder (the noisy engine), then the model through IBM Runtime's Estimator in
    local mode (fake_brisbane as the mode): the same pipeline as the paper's data."""
    out = tmp_path / "noisy"
    cache = ["--quiet", "--cache-dir", str(tmp_path / "cache")]
    args = ["train", "--dataset", f"imagefolder:{digits_folder}", "--task", "three,eight", "--encoding", "angle"]
    assert main([*args, "--steps", "20", "--noise", "fake_brisbane", "--out", str(out), *cache]) == 0
    result = RunResult.read(out / "result.json", TrainConfig)
    assert result.config.noise == "fake_brisbane" and result.source.dataset == f"imagefolder:{digits_folder}"
    run_dir = tmp_path / "local"
    code = main(
        [
            "evaluate",
            "--model",
            str(out / "result.json"),
            "--backend",
            "ibm-local:fake_brisbane",
            "--samples",
            "6",
            "--run-dir",
            str(run_dir),
            *cache,
        ]
    )
    assert code == 0
    summary = json.loads((run_dir / "evaluation.json").read_text())
    assert summary["samples"] == 6 and summary["backend"] == "ibm-local:fake_brisbane"


@pytest.mark.slow
def test_sweep_on_own_data_pairs_the_c2c_head(digits_folder, tmp_path):
    """A sweep file's [train] dataset applies to the QCNN runs and the C2C heads alike."""
    from qcnn_tl.sweep.grid import grid_from_dict, read_result
    from qcnn_tl.sweep.runner import run_sweep

    grid = grid_from_dict(
        {
            "grid": {
                "models": ["U_SU4/zx"],
                "encodings": ["angle"],
                "tasks": ["three,eight"],
                "repetitions": 2,
                "c2c": ["1d"],
            },
            "train": {"steps": 20, "dataset": f"imagefolder:{digits_folder}"},
        }
    )
    report = run_sweep(grid, tmp_path / "sweep", workers=1, cache_dir=tmp_path / "cache", progress=False)
    assert not report.failures and report.completed == 4
    results = [read_result(path) for path in sorted((tmp_path / "sweep" / "runs").rglob("seed*.json"))]
    assert len(results) == 4
    assert {r.source.dataset for r in results} == {f"imagefolder:{digits_folder}"}
    assert sorted(r.model.name for r in results).count("C2C_1D") == 2
    assert all(r.num_test == 72 for r in results)


def test_an_mps_model_stores_its_feature_order_and_evaluation_reuses_it(digits_folder, tmp_path):
    """mps2-1 on the image folder (the shipped F = 256 CNN): the magnitude order is fitted on the training split,
    stored in result.json and applied unchanged when the model is read back."""
    from qcnn_tl.circuits.encoding import magnitude_order
    from qcnn_tl.cnn.task_data import trained_feature_map

    config = TrainConfig(encoding="mps2-1", dataset=f"imagefolder:{digits_folder}", task="three,eight", steps=5)
    data = task_data(config, cache_dir=tmp_path / "cache", progress=False)
    assert data.feature_map is not None and data.feature_map.describe() == "ordered by mean magnitude"
    raw = task_data(config, cache_dir=tmp_path / "cache", progress=False, fit=False, feature_map=None)
    order = magnitude_order(raw.train_features.numpy())
    assert data.feature_map.order == tuple(order.tolist())
    np.testing.assert_array_equal(data.test_features.numpy(), raw.test_features.numpy()[:, order])
    run_training(config, tmp_path / "run", data=data, progress=False)
    stored = RunResult.read(tmp_path / "run" / "result.json", TrainConfig)
    again = task_data(stored.config, cache_dir=tmp_path / "cache", feature_map=trained_feature_map(stored), fit=False)
    assert torch.equal(again.test_features, data.test_features)


class TestTorchvisionSources:
    """Datasets other than MNIST read through torchvision's classes (faked here: no such files ship)."""

    def test_channels_last_uint8_images_and_their_classes(self, monkeypatch, tmp_path):
        import torchvision

        class FakeCifar:
            classes = ("airplane", "cat", "dog")

            def __init__(self, root, train, download):
                rng = np.random.default_rng(0 if train else 1)
                self.data = rng.integers(0, 256, size=(6 if train else 3, 32, 32, 3), dtype=np.uint8)
                self.targets = [0, 1, 2, 1, 2, 0] if train else [1, 2, 0]

        monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCifar)
        data = load_source("cifar10", data_dir=tmp_path)
        assert data.train_x.shape == (6, 3, 32, 32) and data.classes == ("airplane", "cat", "dog")
        assert torch.equal(data.train_x[0, 1], torch.from_numpy(FakeCifar(None, True, False).data[0, :, :, 1]) / 255)

    def test_qmnist_class_is_the_first_of_its_eight_target_columns(self, monkeypatch, tmp_path):
        import torchvision

        class FakeQmnist:
            classes = tuple(f"{d} - digit" for d in range(10))

            def __init__(self, root, train, download):
                self.data = torch.zeros((3, 28, 28), dtype=torch.uint8)
                self.targets = torch.tensor(
                    [[7, 2134, 5, 0, 0, 0, 0, 0], [1, 99, 4, 0, 0, 0, 0, 0], [0, 3, 1, 0, 0, 0, 0, 0]]
                )

        monkeypatch.setattr(torchvision.datasets, "QMNIST", FakeQmnist)
        data = load_source("qmnist", data_dir=tmp_path)
        assert data.train_y.tolist() == [7, 1, 0] and data.train_x.shape == (3, 1, 28, 28)

    def test_missing_files_are_one_line_naming_the_dataset(self, tmp_path):
        with pytest.raises(Exception, match=r"cannot read dataset 'kmnist' under .*add --download"):
            load_source("kmnist", data_dir=tmp_path)
