from __future__ import annotations

import json
import re

import pytest

from qcnn_tl.cli.main import COMMANDS, build_parser, main

NAMES = (
    *("pretrain", "circuits", "train", "run", "sweep", "summarize"),
    *("transpile-report", "evaluate", "jobs", "noise-models"),
)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    assert len(COMMANDS) == len(NAMES)


@pytest.mark.parametrize("command", NAMES)
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    assert command in capsys.readouterr().out


def test_circuits_json(capsys):
    assert main(["circuits", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 22
    su4 = {(r["ansatz"], r["pooling"]): r["num_weights"] for r in rows}
    assert su4[("U_SU4", "zx")] == 51 and su4[("U_SU4", "generalized")] == 63 and su4[("U_SU4", "none")] == 45


def test_bad_input_is_a_one_line_error(capsys):
    assert main(["train", "--task", "3,3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qcnn-tl train: error: unknown task '3,3'") and "Traceback" not in err
    assert main(["train", "--ansatz", "U_7"]) == 2
    assert "expected one of: Con_Z" in capsys.readouterr().err


def test_cli_reference_page_is_current():
    from qcnn_tl.cli.reference import PAGE, updated_page

    text = PAGE.read_text()
    assert updated_page(text) == text, "docs/cli.md is stale: run `python -m qcnn_tl.cli.reference`"


def test_pretrain_command_writes_a_loadable_checkpoint(tmp_path, data_dir, capsys):
    from qcnn_tl.cnn.checkpoint import load_checkpoint

    out = tmp_path / "cnn.pt"
    args = [
        "pretrain",
        "--features",
        "8",
        "--epochs",
        "1",
        "--train-subset",
        "2000",
        "--out",
        str(out),
        "--data-dir",
        str(data_dir),
        "--quiet",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "fashion_mnist test accuracy:" in printed
    checkpoint = load_checkpoint(out)
    assert checkpoint.metadata["num_features"] == 8 and checkpoint.metadata["train_samples"] == 2000
    assert checkpoint.metadata["test_accuracy"] > 0.3


class TestSharedArguments:
    @pytest.mark.parametrize("value", ["-1", str(2**63), str(2**64), "1.5", "x"])
    def test_seed_range(self, value, capsys):
        with pytest.raises(SystemExit) as exc:
            main(["pretrain", "--seed", value])
        assert exc.value.code == 2
        assert f"argument --seed: must be an integer in [0, 2**63); got '{value}'" in capsys.readouterr().err

    def test_seed_type_accepts_the_range(self):
        from qcnn_tl.cli.common import seed_type

        assert seed_type("0") == 0 and seed_type(str(2**63 - 1)) == 2**63 - 1

    @pytest.mark.parametrize(
        ("argv", "option"), [(["sweep", "--workers", "0"], "--workers"), (["pretrain", "--threads", "0"], "--threads")]
    )
    def test_counts_are_positive(self, argv, option, capsys):
        with pytest.raises(SystemExit):
            main(argv)
        assert f"argument {option}: must be a positive integer; got '0'" in capsys.readouterr().err

    def test_set_threads(self):
        import argparse

        import torch

        from qcnn_tl.cli.common import add_threads_argument, set_threads

        parser = argparse.ArgumentParser()
        add_threads_argument(parser)
        assert parser.parse_args([]).threads == 1
        before = torch.get_num_threads()
        try:
            set_threads(parser.parse_args(["--threads", "2"]))
            assert torch.get_num_threads() == 2
        finally:
            torch.set_num_threads(before)


class TestOutputPathsAreCheckedFirst:
    """An output that cannot be written is a one-line error naming the option, before any work."""

    @pytest.fixture
    def a_file(self, tmp_path):
        path = tmp_path / "file"
        path.write_text("")
        return path

    @pytest.mark.parametrize(
        ("argv", "option"),
        [
            (["pretrain", "--out", "{f}/cnn.pt"], "--out"),
            (["circuits", "draw", "U_SU4", "--out", "{f}/x.png"], "--out"),
            (["circuits", "export", "{f}/templates"], "directory"),
            (["summarize", "{d}", "--out", "{f}/summary"], "--out"),
            (["sweep", "--models", "U_SU4/zx", "--out", "{f}/sweep"], "--out"),
        ],
    )
    def test_under_a_file(self, argv, option, a_file, capsys):
        argv = [a.format(f=a_file, d=a_file.parent) for a in argv]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"qcnn-tl {argv[0]}: error: {option} {a_file}/") and "Traceback" not in err
        assert "Not a directory" in err or "is a file, not a folder" in err

    def test_proc(self, capsys):
        assert main(["circuits", "export", "/proc/qcnn_tl_templates"]) == 2
        assert "error: directory /proc/qcnn_tl_templates: cannot create the folder" in capsys.readouterr().err


@pytest.mark.parametrize("level", ["0", "4", "-1"])
def test_draw_level_names_the_option_and_its_range(level, tmp_path, capsys):
    assert main(["circuits", "draw", "U_SU4", "--level", level, "--out", str(tmp_path / "x.png")]) == 2
    assert (
        capsys.readouterr().err
        == f"qcnn-tl circuits: error: --level must be in 1..3 (levels are 1-based); got {level}\n"
    )


class TestSweepInputs:
    """Malformed sweep files and sweep folders: one line naming the file or key (no data is read)."""

    @pytest.mark.parametrize(
        ("toml", "message"),
        [
            ("[train]\nseed = 1.5\n", r"\[train\] seed must be an integer; got 1.5 \(a float\)"),
            ('[train]\nseed = "0"\n', r"\[train\] seed must be an integer; got '0' \(a string\)"),
            ('[train]\nmomentum = "0.5"\n', r"\[train\] momentum must be a number; got '0.5' \(a string\)"),
            ('[c2c]\nseed = "1"\n', r"\[c2c\] seed must be an integer; got '1' \(a string\)"),
            ("grid = 5\n", r"\[grid\] must be a table; got grid = 5 \(an integer\)"),
            ("[train]\nlr = inf\n", r"\[train\] lr must be positive and finite; got inf"),
        ],
    )
    def test_bad_sweep_file(self, toml, message, tmp_path, capsys):
        spec = tmp_path / "grid.toml"
        spec.write_text(toml)
        assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--models", "U_SU4/zx"]) == 2
        err = capsys.readouterr().err
        assert re.fullmatch(rf"qcnn-tl sweep: error: {re.escape(str(spec))}: {message}\n", err), err
        assert not (tmp_path / "out").exists()

    @pytest.mark.parametrize(("text", "holds"), [("[]", "it holds a JSON array"), ("", "it is empty")])
    def test_bad_result_file_on_rerun_and_in_summarize(self, text, holds, tmp_path, capsys):
        bad = tmp_path / "runs/angle/0-1/U_SU4_zx/seed0.json"
        bad.parent.mkdir(parents=True)
        bad.write_text(text)
        argv = ["sweep", "--models", "U_SU4/zx", "--encodings", "angle", "--tasks", "0,1", "--repetitions", "1"]
        assert main([*argv, "--c2c", "--out", str(tmp_path), "--data-dir", str(tmp_path)]) == 2
        assert f"qcnn-tl sweep: error: {bad} should hold a run result" in capsys.readouterr().err
        assert main(["summarize", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"qcnn-tl summarize: error: {bad} should hold a run result") and holds in err
