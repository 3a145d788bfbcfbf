from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: use --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep the user cache (~/.cache/qcnn_tl) out of the tests."""
    import os

    previous = os.environ.get("QCNN_TL_CACHE")
    os.environ["QCNN_TL_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        del os.environ["QCNN_TL_CACHE"]
    else:
        os.environ["QCNN_TL_CACHE"] = previous


_BUILT: dict[str, object] = {}


@pytest.fixture(scope="session")
def once():
    """``once(key, build)``: ``build()`` the first time in this process, its value afterwards.

    For expensive module fixtures: a pytest-xdist worker may tear a module fixture down between two of its
    tests (when its queue runs short) and would build it again.
    """

    def get(key: str, build):
        if key not in _BUILT:
            _BUILT[key] = build()
        return _BUILT[key]

    return get


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20231126)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """$QCNN_TL_DATA if set, else ../shared/data beside the repository (torchvision's layout)."""
    import os

    root = Path(os.environ["QCNN_TL_DATA"]) if os.environ.get("QCNN_TL_DATA") else SHARED_DATA
    if not (root / "MNIST" / "raw").is_dir():
        pytest.fail(f"test data missing: expected torchvision's layout (MNIST/raw, FashionMNIST/raw) under {root}")
    return root


@pytest.fixture(scope="session")
def epoch1_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache shared by the tests that need real one-epoch CNNs (``cnn_epochs=1``) and their MNIST
    features: the notebooks and the sweeps. Whichever runs first pre-trains; the others reuse."""
    return tmp_path_factory.getbasetemp() / "epoch1-cache"


@pytest.fixture(scope="session")
def small_cnn(tmp_path_factory: pytest.TempPathFactory, data_dir: Path):
    """A CNN pre-trained for one epoch on 6,000 Fashion-MNIST images (a few seconds)."""
    from qcnn_tl.cnn.pretrain import PretrainConfig, pretrain

    out = tmp_path_factory.mktemp("cnn") / "small.pt"
    config = PretrainConfig(num_features=256, epochs=1, train_subset=6000, test_subset=2000, seed=0)
    return pretrain(config, data_dir=data_dir, out=out, progress=False)


@pytest.fixture
def registries():
    """Leaves the block registries as they were: what a test registers is gone after it."""
    from qcnn_tl.circuits import ANSATZES, ENCODINGS, POOLINGS

    saved = [(registry, dict(registry._entries)) for registry in (ANSATZES, POOLINGS, ENCODINGS)]
    yield
    for registry, entries in saved:
        registry._entries.clear()
        registry._entries.update(entries)
