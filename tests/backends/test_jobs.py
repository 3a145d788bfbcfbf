"""The run manifest: local-mode Runtime path end to end, and resume after an interrupted run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qcnn_tl.backends.execution import execution_target
from qcnn_tl.backends.jobs import RunManifest, resume
from qcnn_tl.backends.profiles import RunProfile, load_profile
from qcnn_tl.circuits import build_qcnn
from qcnn_tl.errors import QcnnTlError
from qcnn_tl.qnn.hardware import evaluate_on_target, exact_expectations

SECRET = "do-not-leak-0123456789"


def test_runtime_local_mode_end_to_end(tmp_path, rng, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", SECRET)
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    features, weights = rng.normal(size=(6, 8)), rng.normal(size=template.num_weights)
    target = execution_target(template, RunProfile(backend="ibm-local:fake_brisbane", shots=2000))
    evs = evaluate_on_target(template, weights, features, target, tmp_path / "run", rows_per_job=3)
    assert evs.shape == (6,)
    manifest = RunManifest.load(tmp_path / "run")
    assert manifest.done and len(manifest.chunks) == 2 and all(c.job_id for c in manifest.chunks)
    assert manifest.options["shots"] == 2000
    ideal = exact_expectations(template, features, weights)
    assert np.max(np.abs(evs - ideal)) < 0.5  # noisy and sampled, but the same model
    for path in (tmp_path / "run").iterdir():
        assert SECRET.encode() not in path.read_bytes()


def test_interrupted_run_resumes_without_losing_results(tmp_path, rng):
    template = build_qcnn("U_SU4", "zx", encoding="angle")
    features, weights = rng.normal(size=(7, 8)), rng.normal(size=template.num_weights)
    target = execution_target(template, RunProfile(backend="aer"))
    submitted = []

    def interrupt(index):
        submitted.append(index)
        if index == 1:
            raise KeyboardInterrupt

    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        evaluate_on_target(template, weights, features, target, run, rows_per_job=3, after_submit=interrupt)
    manifest = RunManifest.load(run)
    assert [c.status for c in manifest.chunks] == ["done", "submitted", "pending"]
    first = (run / "result_0.npy").read_bytes()

    calls = []

    def counting_run_pub(circuit, observable, rows):
        calls.append(len(rows))
        return target.run_pub(circuit, observable, rows)

    evs = resume(run, counting_run_pub)
    assert calls == [3, 1]  # chunk 0 kept, chunk 1 (lost with the process) and chunk 2 submitted
    assert (run / "result_0.npy").read_bytes() == first
    np.testing.assert_allclose(evs, exact_expectations(template, features, weights), atol=1e-9)
    assert RunManifest.load(run).done
    with pytest.raises(QcnnTlError, match="already holds a run"):
        evaluate_on_target(template, weights, features, target, run)


def test_shipped_profiles_load():
    assert load_profile("ideal").backend == "aer"
    assert load_profile("fake_brisbane").shots == 4000
    assert load_profile("ibm_device").backend.startswith("ibm:")
    with pytest.raises(ValueError, match="unknown profile 'x'; expected one of: fake_brisbane"):
        load_profile("x")
    with pytest.raises(ValueError, match="resilience_level must be 0, 1 or 2"):
        RunProfile(resilience_level=5)


def test_unknown_target_names():
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    with pytest.raises(ValueError, match="unknown backend 'ibm'"):
        execution_target(template, RunProfile(backend="ibm"))
    with pytest.raises(ValueError, match="unknown fake device"):
        execution_target(template, RunProfile(backend="ibm-local:fake_x"))
    with pytest.raises(ValueError, match=r"unknown fake device 'fake_nowhere'; expected one of: .*fake_brisbane"):
        execution_target(template, RunProfile(backend="aer:fake_nowhere"))
    with pytest.raises(ValueError, match="unknown backend 'gpu'"):
        execution_target(template, RunProfile(backend="gpu"))
    assert execution_target(template, RunProfile(backend="aer")).name == "aer"
    assert execution_target(template, RunProfile(backend="aer:fake_torino")).name == "aer:fake_torino"


def test_ibm_without_credentials_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("QISKIT_IBM_TOKEN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no saved account
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    with pytest.raises(QcnnTlError, match="QISKIT_IBM_TOKEN"):
        execution_target(template, RunProfile(backend="ibm:ibm_brisbane"))


def test_manifest_is_json(tmp_path, rng):
    template = build_qcnn("U_TTN", "zx", encoding="angle")
    target = execution_target(template, RunProfile(backend="aer"))
    evaluate_on_target(template, rng.normal(size=12), rng.normal(size=(2, 8)), target, tmp_path / "r")
    data = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert set(data) >= {"backend", "options", "circuit_hash", "observable", "chunks"}
