"""`qcnn-tl noise-models`: list honours --device; refresh writes to --out or a checkout, never into an install."""

from __future__ import annotations

import json

from qcnn_tl.backends import snapshots
from qcnn_tl.backends.snapshots import checkout_snapshot_dir, snapshot_dir
from qcnn_tl.cli.main import main


def test_list_shows_the_devices_asked_for(capsys):
    assert main(["noise-models", "list", "--device", "fake_torino"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["fake_torino"]
    assert main(["noise-models", "list"]) == 0
    assert {line.split()[0] for line in capsys.readouterr().out.splitlines()} >= {"fake_brisbane", "fake_torino"}
    assert main(["noise-models", "list", "--device", "fake_nowhere"]) == 2
    err = capsys.readouterr().err
    assert "--device: no snapshot of fake_nowhere" in err and err.count("\n") == 1


def test_refresh_writes_to_out(tmp_path, capsys):
    shipped = {p: p.read_bytes() for p in snapshot_dir().rglob("*.json")}
    assert main(["noise-models", "refresh", "--device", "fake_torino", "--out", str(tmp_path / "snap")]) == 0
    meta = json.loads((tmp_path / "snap" / "fake_torino" / "snapshot.json").read_text())
    assert meta["device"] == "fake_torino"
    assert {p: p.read_bytes() for p in snapshot_dir().rglob("*.json")} == shipped


def test_refresh_of_an_installed_package_needs_out(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("qcnn_tl.cli.noise_models.checkout_snapshot_dir", lambda: None)
    assert main(["noise-models", "refresh", "--device", "fake_torino"]) == 2
    err = capsys.readouterr().err
    assert "not run from a checkout" in err and "give --out FOLDER" in err and err.count("\n") == 1
    (tmp_path / "file").write_text("")
    assert main(["noise-models", "refresh", "--out", str(tmp_path / "file")]) == 2
    assert f"--out {tmp_path / 'file'} is not a writable folder" in capsys.readouterr().err
    assert main(["noise-models", "refresh", "--device", "fake_nowhere", "--out", str(tmp_path)]) == 2
    assert "--device: unknown fake devices ['fake_nowhere']" in capsys.readouterr().err


def test_a_checkout_is_told_from_an_installed_package(tmp_path, monkeypatch):
    checkout = tmp_path / "repo"
    (checkout / "noise_models").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("")
    monkeypatch.setattr(snapshots, "snapshot_dir", lambda: checkout / "noise_models")
    assert checkout_snapshot_dir() == checkout / "noise_models"
    installed = tmp_path / "site-packages" / "qcnn_tl" / "noise_models"
    installed.mkdir(parents=True)
    monkeypatch.setattr(snapshots, "snapshot_dir", lambda: installed)
    assert checkout_snapshot_dir() is None
