"""The notebooks run top to bottom with small settings (QCNN_TL_NOTEBOOK_SMALL=1) on ../shared/data."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_exist():
    names = ["01_quickstart.ipynb", "02_ansatz_zoo.ipynb", "03_hardware.ipynb", "04_own_data.ipynb"]
    assert [p.name for p in NOTEBOOKS] == names


@pytest.mark.slow
@pytest.mark.xdist_group("epoch1")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, data_dir, epoch1_cache, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("QCNN_TL_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("QCNN_TL_DATA", str(data_dir))
    monkeypatch.setenv("QCNN_TL_CACHE", str(epoch1_cache))
    workdir = tmp_path_factory.mktemp(path.stem)
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    code = [c for c in book.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count is not None for c in code)  # every cell ran, none was skipped
    assert any(c.get("outputs") for c in code)
