"""Run profiles: shipped files, mitigation tables, one-line errors naming the key, finalized options."""

from __future__ import annotations

import pytest

from qcnn_tl._paths import package_data
from qcnn_tl.backends.execution import finalized_options
from qcnn_tl.backends.profiles import PROFILES, RunProfile, Zne, load_profile, profile_from_dict


def test_shipped_profiles_load():
    assert load_profile("ideal").backend == "aer"
    assert load_profile("fake_brisbane").shots == 4000
    device = load_profile("ibm_device")
    assert device.backend.startswith("ibm:") and device.dynamical_decoupling.sequence_type == "XY4"
    assert device.mitigated
    zne = load_profile("ibm_local_zne")
    assert zne.zne_enabled and zne.zne.noise_factors == (1.0, 3.0)
    for path in package_data(PROFILES).glob("*.toml"):
        profile = load_profile(path.stem)
        if profile.is_runtime:
            finalized_options(profile.estimator_options())  # Runtime accepts every shipped profile
    with pytest.raises(ValueError, match="unknown profile 'x'; expected one of: fake_brisbane"):
        load_profile("x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resilience_level = 5", "resilience_level must be 0, 1 or 2; got 5"),
        ("colour = 1", "unknown key 'colour'; expected one of: backend"),
        ("[zne]\nfactor = 2", "unknown key zne.factor; expected one of: enable, amplifier"),
        ('[zne]\namplifier = "louder"', "zne.amplifier must be one of gate_folding.*; got 'louder'"),
        ("[zne]\nnoise_factors = [1]", 'zne.noise_factors must be "auto" or at least two numbers >= 1'),
        ("[zne]\nnoise_factors = [0.5, 1]", 'zne.noise_factors must be "auto" or at least two numbers >= 1'),
        ('[zne]\nextrapolator = ["cubic"]', "zne.extrapolator must be one of linear.*; got 'cubic'"),
        ("[pec]\nmax_overhead = -1", "pec.max_overhead must be a positive number; got -1"),
        ('[pec]\nnoise_gain = "lots"', "pec.noise_gain must be \"auto\" or a number >= 0; got 'lots'"),
        ("[twirling]\nnum_randomizations = 0", 'twirling.num_randomizations must be a positive integer or "auto"'),
        ("[twirling]\nshots_per_randomization = 1.5", "twirling.shots_per_randomization must be a positive"),
        ('[twirling]\nenable_gates = "yes"', "twirling.enable_gates must be true or false; got 'yes'"),
        ('[dynamical_decoupling]\nsequence_type = "XZ"', "dynamical_decoupling.sequence_type must be one of XX"),
        ("[measure_mitigation]\nenable = 1", "measure_mitigation.enable must be true or false; got 1"),
        ("[pec]\nenable = true\n[zne]\nenable = true", "pec.enable and zne.enable cannot both be on"),
        ("layout_trials = 0", "layout_trials must be a positive integer; got 0"),
        ("zne = 3", "zne must be a table of settings; got 3"),
    ],
)
def test_bad_profiles_are_one_line_errors_naming_the_key(tmp_path, text, message):
    (tmp_path / "p.toml").write_text(f'backend = "ibm-local:fake_brisbane"\n{text}\n')
    with pytest.raises(ValueError, match=message) as info:
        load_profile("p", tmp_path)
    assert "\n" not in str(info.value) and str(info.value).startswith("profile 'p'")


def test_options_reach_the_client_side_estimator():
    profile = RunProfile(
        backend="ibm:ibm_brisbane",
        resilience_level=1,
        zne=Zne(enable=True, noise_factors=(1, 2, 3), extrapolator=("exponential",)),
        twirling={"enable_gates": True, "num_randomizations": 8, "shots_per_randomization": 100},
        dynamical_decoupling={"enable": True, "sequence_type": "XpXm"},
        measure_mitigation={"enable": False},
    )
    final = finalized_options(profile.estimator_options())
    assert final["resilience_level"] == 1
    assert final["resilience"]["zne_mitigation"] is True and final["resilience"]["measure_mitigation"] is False
    assert final["resilience"]["zne"]["noise_factors"] == [1.0, 2.0, 3.0]
    assert final["twirling"] | {"enable_gates": True, "num_randomizations": 8} == final["twirling"]
    assert final["dynamical_decoupling"]["sequence_type"] == "XpXm"
    assert "simulator" not in profile.estimator_options()  # the device is not seeded
    baseline = finalized_options(profile.estimator_options(mitigated=False))
    assert baseline["resilience_level"] == 0 and baseline["twirling"]["enable_measure"] is False
    assert baseline["resilience"]["zne_mitigation"] is False
    assert not RunProfile(backend="aer:fake_brisbane", resilience_level=2).mitigated  # Aer: no mitigation
    assert profile_from_dict(profile.to_dict()) == profile
