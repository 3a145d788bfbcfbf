"""The README's Python quickstart runs as written (in a scratch folder, on the shipped CNN)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_python_quickstart_runs(tmp_path, data_dir, monkeypatch, capsys):
    [code] = re.findall(r"## Python quickstart\n.*?```python\n(.*?)```", README.read_text(), flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code.replace('"../shared/data"', repr(os.fspath(data_dir))), "README quickstart", "exec"), {})
    out = capsys.readouterr().out
    assert re.search(r"test accuracy 0\.\d{4} after 20 steps", out)
    match = re.search(r"exact (0\.\d+), Aer (0\.\d+), max \|dZ\| (\S+)", out)
    assert match and match.group(1) == match.group(2) and float(match.group(3)) < 1e-9
    assert (tmp_path / "runs" / "quickstart" / "result.json").is_file()
