"""Sphinx configuration of the qcnn_tl documentation site.

Build (offline, warnings as errors), from the repository root::

    .venv/bin/python -m sphinx -W -b html docs docs/_build/html

Cross-references into the Qiskit, torch and Python documentation (intersphinx) need the network, so they
are off unless ``QCNN_TL_DOCS_INTERSPHINX=1`` is set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective

import qcnn_tl
from qcnn_tl._registry import Registry

# The theme's code colours (a11y_pygments) configure the root logger at INFO when imported, which floods the
# build's output with every library's INFO messages; import it first and undo that.
with contextlib.suppress(ImportError):
    import a11y_pygments  # noqa: F401

    logging.getLogger().setLevel(logging.WARNING)
    for _handler in logging.getLogger().handlers[:]:
        logging.getLogger().removeHandler(_handler)

project = "qcnn_tl"
author = "qcnn_tl contributors"
copyright = "2026, qcnn_tl contributors"
release = qcnn_tl.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "myst_nb",
    "qiskit_sphinx_theme",
]


def _full_git_history() -> bool:
    """Whether the docs are built in a git checkout with its whole history, which reno reads the notes from."""
    try:
        shallow = subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"],
            cwd=os.path.dirname(os.path.abspath(__file__)),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return False
    return shallow == "false"


# Release notes: reno builds them from the notes in git history (releasenotes/notes/, per release tag). A shallow
# clone or a source archive has no history; there the page says where the notes are instead of failing the build.
RENO = _full_git_history()
if RENO:
    extensions.append("reno.sphinxext")

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    # the reports written by `qcnn-tl summarize` and `qcnn_tl.reports.frontier`: included by the studies pages
    "paper_grid/*.md",
    "cnn_seeds/*.md",
    "noise/*/*.md",
    "encodings/*/*.md",
    "multiclass/*.md",
]

# Markdown (MyST) and the notebooks: the tutorials are shown with the outputs stored in them (the tests
# execute them); nothing is executed at build time.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"

# API reference: one page per name of qcnn_tl.__all__ (docs/api/index.rst), from the Google-style docstrings.
autosummary_generate = True
templates_path = ["_templates"]  # autosummary/class.rst: a class's own methods only (not torch.nn.Module's)
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True, "no-value": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autoclass_content = "class"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
if os.environ.get("QCNN_TL_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "qiskit": ("https://quantum.cloud.ibm.com/docs/api/qiskit", None),
        "qiskit_ibm_runtime": ("https://quantum.cloud.ibm.com/docs/api/qiskit-ibm-runtime", None),
        "qiskit_machine_learning": ("https://qiskit-community.github.io/qiskit-machine-learning", None),
    }

html_theme = "qiskit-ecosystem"
html_title = f"qcnn_tl {release}"
html_last_updated_fmt = None


def _attribute_docstring(name: str, obj: object) -> list[str]:
    """The docstring written under ``name``'s assignment in the qcnn_tl module that defines it."""
    for module_name, module in sorted(sys.modules.items()):
        if module_name.startswith("qcnn_tl.") and getattr(module, name, None) is obj:
            try:
                docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
            except PycodeError:
                continue
            if ("", name) in docs:
                return list(docs[("", name)])
    return []


def _document_exported_data(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Docstrings of the exported constants (the registries, PAPER_MODELS), which autodoc cannot find.

    Autodoc documents ``qcnn_tl.PAPER_MODELS`` from the package, where the name is only re-exported, so it would
    show the docstring of the object's class; this takes the one written where the constant is defined, and lists
    the entries. A registry is described by what it holds and its names.
    """
    if what != "data" or not name.startswith("qcnn_tl."):
        return
    short = name.removeprefix("qcnn_tl.")
    if isinstance(obj, Registry):
        entry = type(next(iter(obj.values()))).__name__
        lines[:] = [
            f"The built-in ``{entry}`` entries by name: a read-only mapping; looking up an unknown name raises "
            "``ValueError`` naming the valid ones."
        ]
    else:
        lines[:] = _attribute_docstring(short, obj)
    if isinstance(obj, Mapping):
        lines += ["", "Names: " + ", ".join(f"``{key}``" for key in obj) + "."]
    elif isinstance(obj, tuple):
        lines += ["", f"{len(obj)} entries: " + ", ".join(f"``{entry}``" for entry in obj) + "."]


class _ReleaseNotesWithoutHistory(SphinxDirective):
    """Stands in for reno's ``release-notes`` directive where the checkout has no git history."""

    def run(self) -> list[nodes.Node]:
        text = (
            "This build has no git history (a shallow clone or a source archive), which reno needs to sort the "
            "notes into releases: the notes are the files in releasenotes/notes/ of the repository."
        )
        return [nodes.paragraph(text=text)]


def setup(app: Sphinx) -> None:
    """Registers the docstring hook for the exported constants, and the release-notes stand-in if needed."""
    app.connect("autodoc-process-docstring", _document_exported_data)
    if not RENO:
        app.add_directive("release-notes", _ReleaseNotesWithoutHistory)
