from __future__ import annotations

import doctest
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from qcnn_tl.c2c.training import C2CConfig
from qcnn_tl.circuits import PAPER_MODELS
from qcnn_tl.sweep import grid as grid_module
from qcnn_tl.sweep.grid import SweepGrid, _settings, grid_from_dict, parse_model
from qcnn_tl.training.config import TrainConfig

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
STUDIES = Path(__file__).resolve().parents[2] / "docs"


def test_paper_grid_file_is_the_full_grid():
    grid = grid_from_dict(tomllib.loads((BENCHMARKS / "paper_grid.toml").read_text()))
    assert grid.models == PAPER_MODELS and len(grid.models) == 22
    assert grid.encodings == ("amplitude", "angle")
    assert grid.tasks == ("0,1", "2,3", "8,9")
    assert grid.repetitions == 10 and grid.c2c == ("1d", "2d")
    assert grid.num_runs == 22 * 2 * 3 * 10 + 2 * 3 * 10
    assert grid.train.steps == 200 and grid.train.reduction == "sum" and grid.c2c_train.num_train == 10_000
    units = grid.units()
    assert sum(len(u.seeds) for u in units) == grid.num_runs
    assert units[0].seeds == tuple(range(10))


def test_ci_grid_file_parses():
    grid = grid_from_dict(tomllib.loads((BENCHMARKS / "ci_grid.toml").read_text()))
    assert grid.num_runs == (2 * 2 + 1) * 1 * 2
    assert grid.train.cnn_epochs == 1 and grid.c2c_train.cnn_epochs == 1


def test_multiclass_study_files_parse():
    mnist, fashion = (
        grid_from_dict(tomllib.loads((STUDIES / "multiclass" / f"{name}.toml").read_text()))
        for name in ("mnist", "fashion")
    )
    assert mnist.tasks == ("0,1,2,3", "all") and fashion.train.dataset == "fashion_mnist"
    assert [c.width for c in fashion.head_configs(fashion.c2c_train, "all")] == [2, 28, 28]
    assert mnist.encodings == ("amplitude", "mps2-3", "angle") and mnist.evaluate_noise == ("fake_brisbane",)
    assert mnist.num_runs == (3 * 2 + 2 * 3) * 10


def test_units_and_result_paths():
    grid = SweepGrid(models=(("U_SU4", "zx"),), encodings=("angle",), tasks=("2,3",), repetitions=3, c2c=("2d",))
    qcnn, c2c = grid.units()
    assert qcnn.result_path(2) == Path("runs/angle/2-3/U_SU4_zx/seed2.json")
    assert c2c.result_path(0) == Path("runs/c2c/2-3/C2C_2D/seed0.json")
    assert qcnn.config_for(1)["seed"] == 1 and qcnn.config_for(1)["ansatz"] == "U_SU4"
    assert grid_from_dict(grid.to_dict()) == grid


class TestHeadWidths:
    def test_matched_and_reference_widths_per_task_of_four_and_ten_classes(self):
        grid = grid_from_dict(
            {
                "grid": {"models": ["U_SU4/zx"], "encodings": ["amplitude"], "tasks": ["0,1,2,3", "all"]},
                "c2c": {"width": ["matched", 28]},
            }
        )
        heads = [u for u in grid.units() if u.kind == "c2c"]
        found = [(u.config.task, u.config.head, u.config.width, str(u.result_path(0))) for u in heads]
        assert found == [
            ("0,1,2,3", "1d", 10, "runs/c2c/0-1-2-3/C2C_1D_w10/seed0.json"),
            ("0,1,2,3", "1d", 28, "runs/c2c/0-1-2-3/C2C_1D/seed0.json"),
            ("0,1,2,3", "2d", 28, "runs/c2c/0-1-2-3/C2C_2D/seed0.json"),
            ("all", "1d", 2, "runs/c2c/all/C2C_1D_w2/seed0.json"),
            ("all", "1d", 28, "runs/c2c/all/C2C_1D/seed0.json"),
            ("all", "2d", 28, "runs/c2c/all/C2C_2D/seed0.json"),
        ]
        assert grid.num_runs == sum(len(u.seeds) for u in grid.units()) == (2 + 6) * 10
        assert grid.to_dict()["c2c"]["width"] == ["matched", 28] and grid_from_dict(grid.to_dict()) == grid

    def test_one_width_is_the_1d_heads_and_the_2d_head_keeps_its_own(self):
        grid = grid_from_dict({"grid": {"models": [], "tasks": ["0,1,2,3"]}, "c2c": {"width": 10}})
        assert [(u.config.head, u.config.width) for u in grid.units()] == [("1d", 10), ("2d", 28)]
        assert grid.to_dict()["c2c"]["width"] == 10 and grid_from_dict(grid.to_dict()) == grid

    def test_a_matched_width_equal_to_a_listed_one_runs_once(self):
        grid = SweepGrid(models=(("U_SU4", "zx"),), tasks=("0,1,2,3",), c2c=("1d",), c2c_widths=("matched", 10))
        assert [u.config.width for u in grid.units() if u.kind == "c2c"] == [10]
        assert grid.num_runs == sum(len(u.seeds) for u in grid.units())

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"c2c": {"width": "wide"}}, r'^sweep: \[c2c\] width must be an integer, "matched", or a list of them'),
            ({"c2c": {"width": [10, 10]}}, r"\[c2c\] width must list distinct widths; got \[10, 10\]"),
            ({"c2c": {"width": 0}}, "width must be an integer in 1..84; got 0"),
            ({"grid": {"models": []}, "c2c": {"width": "matched"}}, 'width "matched" matches the first QCNN model'),
        ],
    )
    def test_bad_widths(self, data, message):
        with pytest.raises(ValueError, match=message):
            grid_from_dict(data)

    def test_api_callers_get_the_same_checks(self):
        with pytest.raises(ValueError, match=r'width must be an integer in 1..84 or "matched"; got \'wide\''):
            SweepGrid(c2c_widths=("wide",))

    def test_the_width_is_given_in_one_place(self):
        with pytest.raises(ValueError, match="give the 1d head's widths as c2c_widths"):
            SweepGrid(c2c_train=C2CConfig(width=10))


def test_a_backend_in_the_loop_gives_one_unit_per_repetition():
    grid = grid_from_dict(
        {
            "grid": {"models": ["U_TTN/zx"], "encodings": ["angle"], "tasks": ["0,1"], "repetitions": 2, "c2c": []},
            "train": {"backend": "aer:fake_brisbane", "shots": 1000, "gradient": "spsa"},
        }
    )
    assert grid_from_dict(grid.to_dict()) == grid and grid.num_runs == 2
    first, second = grid.units()
    assert (first.seeds, second.seeds) == ((0,), (1,)) and first.config.engine == "estimator"
    assert first.group == "angle@aer:fake_brisbane"
    assert first.result_path(0) == Path("runs/angle@aer_fake_brisbane/0-1/U_TTN_zx/seed0.json")


def test_noise_axis_units_and_paths():
    grid = grid_from_dict(
        {
            "grid": {
                **{"models": ["U_TTN/zx"], "encodings": ["angle"], "tasks": ["0,1"], "repetitions": 2, "c2c": []},
                **{"noise": ["none", "fake_torino"], "noise_scales": [1, 0.5], "readout_error": True},
                "evaluate_noise": ["fake_brisbane"],
            }
        }
    )
    assert grid_from_dict(grid.to_dict()) == grid
    assert grid.num_runs == (1 + 2) * 2
    ideal, torino, half = grid.units()
    assert (ideal.config.noise, ideal.config.readout_error) == (None, False)  # readout error is a device's
    assert (torino.config.noise, torino.config.noise_scale, torino.config.readout_error) == ("fake_torino", 1.0, True)
    assert half.config.noise_scale == 0.5 and half.config.engine == "noisy"
    assert [u.result_path(0).parts[1] for u in (ideal, torino, half)] == [
        "angle",
        "angle@fake_torino",
        "angle@fake_torino_x0.5",
    ]
    assert ideal.noisy_evaluation == (("fake_brisbane",), (1.0, 0.5))
    assert grid_from_dict({"grid": {"noise": "fake_brisbane"}}).noise == ("fake_brisbane",)  # a single device


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grid": {"models": ["U_SU4"]}}, "must be 'ANSATZ/POOLING'"),
        ({"grid": {"models": ["U_7/zx"]}}, "unknown ansatz 'U_7'"),
        ({"grid": {"models": "all"}}, 'models must be "paper" or a list'),
        ({"grid": {"tasks": ["1,1"]}}, "unknown task '1,1'"),
        ({"grid": {"encodings": "angle"}}, "encodings must be a list"),
        ({"grid": {"repetitions": 0}}, "repetitions must be a positive integer"),
        ({"grid": {"c2c": ["3d"]}}, "unknown C2C head '3d'"),
        ({"grid": {"reps": 3}}, r"unknown key\(s\) \['reps'\] in \[grid\]"),
        ({"train": {"ansatz": "U_5"}}, r"unknown key\(s\) \['ansatz'\] in \[train\]"),
        ({"train": {"steps": 0}}, "steps must be a positive integer"),
        (
            {"train": {"backend": "aer"}, "grid": {"noise": ["none", "fake_brisbane"]}},
            r"backend \('aer': an estimator in the loop\) excludes \[grid\] noise",
        ),
        ({"train": {"noise": "fake_brisbane"}}, r"\['noise'\] belong in \[grid\]"),
        ({"train": {"readout_error": True}}, r"\['readout_error'\] belong in \[grid\]"),
        ({"grid": {"noise": ["fake_nowhere"]}}, r"\[grid\] noise must name fake devices \(or \"none\""),
        ({"grid": {"noise": []}}, "noise must not be empty"),
        ({"grid": {"evaluate_noise": ["none"]}}, r"evaluate_noise must name fake devices; got \['none'\]"),
        ({"grid": {"noise_scales": [0]}}, "noise_scales must be a non-empty list of positive numbers"),
        ({"grid": {"noise_scales": [1, 1.0]}}, "lists a scale more than once"),
        ({"grid": {"readout_error": "yes"}}, r"readout_error must be true or false; got 'yes' \(a string\)"),
        ({"extra": {}}, r"unknown section\(s\) \['extra'\]"),
        ({"grid": 5}, r"^sweep: \[grid\] must be a table; got grid = 5 \(an integer\)$"),
        (
            {"grid": {"repetitions": "3"}},
            r"^sweep: \[grid\] repetitions must be a positive integer; got '3' \(a string\)$",
        ),
        ({"grid": {"repetitions": True}}, r"repetitions must be a positive integer; got True \(a boolean\)"),
        ({"grid": {"models": [1]}}, r"models must be \"paper\" or a list of 'ANSATZ/POOLING'; got \[1\]"),
        ({"grid": {"tasks": ["0,1", 2]}}, r"tasks must be a list of strings; got \['0,1', 2\] \(an array\)"),
        ({"grid": {"tasks": ["0,1", "0,1"]}}, r"tasks lists \['0,1'\] more than once"),
        ({"train": {"seed": 1.5}}, r"^sweep: \[train\] seed must be an integer; got 1.5 \(a float\)$"),
        ({"train": {"seed": "0"}}, r"^sweep: \[train\] seed must be an integer; got '0' \(a string\)$"),
        ({"train": {"seed": True}}, r"\[train\] seed must be an integer; got True \(a boolean\)"),
        ({"train": {"seed": -1}}, r"^sweep: \[train\] seed must be an integer in \[0, 2\*\*63\); got -1$"),
        ({"train": {"seed": 2**63 - 5}}, r"\[train\] seed \+ repetitions - 1 must be below 2\*\*63"),
        ({"train": {"cnn_seed": -2}}, r"\[train\] cnn_seed must be an integer in \[0, 2\*\*63\)"),
        ({"train": {"momentum": "0.5"}}, r"^sweep: \[train\] momentum must be a number; got '0.5' \(a string\)$"),
        ({"train": {"lr": float("inf")}}, r"^sweep: \[train\] lr must be positive and finite; got inf$"),
        ({"train": {"loss": 1}}, r"\[train\] loss must be a string; got 1 \(an integer\)"),
        ({"c2c": {"seed": "1"}}, r"^sweep: \[c2c\] seed must be an integer; got '1' \(a string\)$"),
        ({"c2c": {"num_train": 0}}, r"^sweep: \[c2c\] num_train must be a positive integer; got 0$"),
    ],
)
def test_bad_sweep_files_are_clear_errors(data, message):
    with pytest.raises(ValueError, match=message):
        grid_from_dict(data)


def test_integral_floats_are_still_numbers_and_seeds_stay_integers():
    grid = grid_from_dict({"train": {"lr": 1, "momentum": 0, "seed": 3}, "grid": {"repetitions": 2}})
    assert grid.train.lr == 1 and grid.units()[0].seeds == (3, 4)


def test_seeds_are_checked_for_api_callers_too():
    with pytest.raises(ValueError, match=r"^seed must be an integer in \[0, 2\*\*63\); got 1.5"):
        C2CConfig(seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^cnn_seed must be an integer in \[0, 2\*\*63\); got 'x'"):
        TrainConfig(cnn_seed="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\[train\] seed \+ repetitions - 1 must be below 2\*\*63"):
        SweepGrid(train=TrainConfig(seed=2**63 - 1), repetitions=2)


def test_parse_model():
    assert parse_model("U_5/generalized") == ("U_5", "generalized")
    with pytest.raises(ValueError, match="unknown pooling"):
        parse_model("U_5/avg")


@dataclass(frozen=True)
class _Settings:
    flag: bool = False
    name: str | None = None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"flag": 1}, r"^f\.toml: \[s\] flag must be true or false; got 1 \(an integer\)$"),
        ({"name": 3}, r"^f\.toml: \[s\] name must be a string; got 3 \(an integer\)$"),
    ],
)
def test_types_of_boolean_and_optional_fields(section, message):
    with pytest.raises(ValueError, match=message):
        _settings(section, _Settings, "s", "f.toml")  # type: ignore[arg-type]
    assert _settings({"flag": True, "name": "x"}, _Settings, "s", "f.toml") == _Settings(True, "x")  # type: ignore[arg-type]
    assert _settings({"name": None}, _Settings, "s", "sweep.json") == _Settings()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"flag must be true or false; got None \(null\)"):
        _settings({"flag": None}, _Settings, "s", "sweep.json")  # type: ignore[arg-type]


def test_cnn_seeds_axis_repeats_every_unit_per_cnn_and_files_results_per_cnn():
    grid = grid_from_dict(
        {
            "grid": {
                **{"models": ["U_SU4/zx"], "encodings": ["angle"], "tasks": ["0,1"], "repetitions": 2},
                **{"c2c": ["1d"], "cnn_seeds": [0, 3]},
            }
        }
    )
    assert grid_from_dict(grid.to_dict()) == grid and grid.num_runs == 2 * 2 * 2
    units = grid.units()
    assert [(u.kind, u.config.cnn_seed) for u in units] == [("qcnn", 0), ("c2c", 0), ("qcnn", 3), ("c2c", 3)]
    assert units[2].result_path(1) == Path("runs/angle/0-1/U_SU4_zx/cnn3/seed1.json")
    assert units[3].result_path(0) == Path("runs/c2c/0-1/C2C_1D/cnn3/seed0.json")
    assert units[2].config_for(1)["cnn_seed"] == 3 and "CNN 3" in units[2].describe()
    assert "cnn_seeds" not in SweepGrid().to_dict()["grid"]  # folders of grids without the axis are unchanged


@pytest.mark.parametrize(
    ("grid", "train", "message"),
    [
        ({"cnn_seeds": []}, {}, "non-empty list of integer seeds"),
        ({"cnn_seeds": [1, "2"]}, {}, "non-empty list of integer seeds"),
        ({"cnn_seeds": [1, 1]}, {}, "more than once"),
        ({"cnn_seeds": [-1]}, {}, r"cnn_seeds entry must be an integer in \[0, 2\*\*63\)"),
        ({"cnn_seeds": [0, 1]}, {"cnn_seed": 2}, "in one place"),
    ],
)
def test_bad_cnn_seeds_are_named(grid, train, message):
    with pytest.raises(ValueError, match=message):
        grid_from_dict({"grid": grid, "train": train})


def test_units_carry_the_users_blocks(registries):
    import pickle

    from qcnn_tl.circuits import block_definitions, register_ansatz
    from tests.circuits.test_registration import ry_rz_cz_ry

    register_ansatz("ryrz_cz", ry_rz_cz_ry())
    grid = grid_from_dict(
        {"grid": {"models": ["ryrz_cz/zx", "U_TTN/zx"], "encodings": ["angle"], "tasks": ["0,1"], "c2c": ["1d"]}}
    )
    own, builtin, c2c = grid.units()
    assert own.blocks == block_definitions("ryrz_cz", "zx", "angle") and len(own.blocks) == 1
    assert builtin.blocks == c2c.blocks == ()
    assert pickle.loads(pickle.dumps(own)) == own  # what a spawned or Dask worker receives


def test_the_examples_in_the_docstrings():
    result = doctest.testmod(grid_module)
    assert result.attempted >= 1 and result.failed == 0
