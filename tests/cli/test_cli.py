from __future__ import annotations

import json

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


def test_readme_cli_reference_is_current():
    from qcnn_tl.cli.reference import README, updated_readme

    text = README.read_text()
    assert updated_readme(text) == text, "README's CLI reference is stale: run `python -m qcnn_tl.cli.reference`"


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
    assert "Fashion-MNIST test accuracy:" in printed
    checkpoint = load_checkpoint(out)
    assert checkpoint.metadata["num_features"] == 8 and checkpoint.metadata["train_samples"] == 2000
    assert checkpoint.metadata["test_accuracy"] > 0.3
