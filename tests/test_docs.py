"""The documentation site: every exported name has an API page, the README stays short, the site builds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import qcnn_tl

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def api_reference_names() -> list[str]:
    """The entries of the ``autosummary`` lists of docs/api/index.rst, in order."""
    names: list[str] = []
    in_list = False
    for line in (DOCS / "api" / "index.rst").read_text().splitlines():
        if line.startswith(".. autosummary::"):
            in_list = True
        elif in_list and line and not line.startswith(" "):
            in_list = False
        elif in_list and line.strip() and not line.strip().startswith(":"):
            names.append(line.strip())
    return names


def test_every_exported_name_has_an_api_page():
    names = api_reference_names()
    assert len(names) == len(set(names)), "a name is listed twice in docs/api/index.rst"
    missing = sorted(set(qcnn_tl.__all__) - set(names))
    unknown = sorted(set(names) - set(qcnn_tl.__all__))
    assert not missing, f"add to docs/api/index.rst: {missing}"
    assert not unknown, f"not in qcnn_tl.__all__, remove from docs/api/index.rst: {unknown}"


def test_readme_is_short_and_points_to_the_site():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    assert "python -m sphinx -W -b html docs docs/_build/html" in text
    for link in re.findall(r"\]\(((?:docs|notebooks)/[^)#]*)\)", text):
        assert (REPO / link).exists(), f"README links to a missing file: {link}"


@pytest.mark.slow
def test_the_site_builds_offline_without_a_warning(tmp_path):
    command = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = tmp_path / "html"
    for name in qcnn_tl.__all__:
        assert (html / "api" / "generated" / f"qcnn_tl.{name}.html").is_file(), name
    for page in ("tutorials/01_quickstart", "studies/paper_grid", "cli", "release_notes"):
        assert (html / f"{page}.html").is_file(), page
    assert "0.9905" in (html / "studies" / "benchmarks.html").read_text()
