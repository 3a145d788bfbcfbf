"""The package installed from a wheel, outside the checkout, behaves as the checkout does.

Builds the wheel, checks that it holds every module and data file (profiles, noise snapshots, CNN weights),
installs it into a folder outside the repository and runs ``load_profile``, the fake devices and a
fake-device evaluation there, with the installed copy first on the path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from qcnn_tl.cli.main import main

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

# checkout folder → where its files go in the wheel
MAPPED = {"qcnn_tl": "qcnn_tl", "backends": "qcnn_tl/profiles", "noise_models": "qcnn_tl/noise_models"}

PROBE = """
import json, sys
from pathlib import Path
import qcnn_tl
from qcnn_tl.backends.profiles import load_profile
from qcnn_tl.backends.targets import fake_backend
from qcnn_tl.cnn.shipped import WEIGHTS
print(json.dumps({
    "package": qcnn_tl.__file__,
    "ideal": load_profile("ideal").backend,
    "brisbane": load_profile("fake_brisbane").backend,
    "snapshot": fake_backend("fake_torino").dirname,
    "weights": str(WEIGHTS),
}))
"""


def _checkout_files() -> set[str]:
    tracked = subprocess.run(
        ["git", "ls-files", *MAPPED], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    out = set()
    for name in tracked:
        top, _, rest = name.partition("/")
        out.add(f"{MAPPED[top]}/{rest}")
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(tmp / "dist")], check=True, capture_output=True)
    [wheel] = (tmp / "dist").glob("qcnn_tl-*.whl")
    target = tmp / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    return wheel, target


def _run_installed(target: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_the_wheel_holds_every_module_and_data_file(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = sorted(_checkout_files() - names)
    assert not missing, f"files of the checkout missing from the wheel: {missing}"


def test_installed_copy_reads_its_own_profiles_snapshots_and_weights(installed, tmp_path):
    _, target = installed
    done = _run_installed(target, tmp_path, "-c", PROBE)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(target)  # not the checkout
    assert (found["ideal"], found["brisbane"]) == ("aer", "aer:fake_brisbane")
    assert found["snapshot"] == str(target / "qcnn_tl" / "noise_models" / "fake_torino")
    assert found["weights"] == str(target / "qcnn_tl" / "cnn" / "weights")


def test_installed_copy_evaluates_on_a_fake_device_as_the_checkout_does(installed, tmp_path, data_dir):
    _, target = installed
    cache = tmp_path / "cache"
    model = tmp_path / "train"
    train = ["train", "--steps", "5", "--encoding", "angle", "--ansatz", "U_TTN", "--out", str(model)]
    assert main([*train, "--data-dir", str(data_dir), "--cache-dir", str(cache), "--quiet"]) == 0
    evaluate = ["evaluate", "--model", str(model / "result.json"), "--profile", "fake_brisbane", "--samples", "40"]
    evaluate += ["--data-dir", str(data_dir), "--cache-dir", str(cache), "--quiet"]
    assert main([*evaluate, "--run-dir", str(tmp_path / "here")]) == 0
    done = _run_installed(target, tmp_path, "-m", "qcnn_tl.cli.main", *evaluate, "--run-dir", str(tmp_path / "there"))
    assert done.returncode == 0, done.stderr
    here, there = (json.loads((tmp_path / d / "evaluation.json").read_text()) for d in ("here", "there"))
    assert there["backend"] == "aer:fake_brisbane" and set(there["accuracies"]) >= {"noisy", "noisy/shots"}
    assert there["accuracies"] == here["accuracies"]
    expectations = [(tmp_path / d / "expectations.csv").read_text() for d in ("here", "there")]
    assert expectations[0] == expectations[1]
