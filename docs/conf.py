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

import qcnn_tl

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
    "reno.sphinxext",
    "qiskit_sphinx_theme",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = [
    "_build",
    # the reports written by `qcnn-tl summarize` and `qcnn_tl.reports.frontier`: included by the studies pages
    "paper_grid/*.md",
    "cnn_seeds/*.md",
    "noise/*/*.md",
    "encodings/*/*.md",
]

# Markdown (MyST) and the notebooks: the tutorials are shown with the outputs stored in them (the tests
# execute them); nothing is executed at build time.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"

# API reference: one page per name of qcnn_tl.__all__ (docs/api/index.rst), from the Google-style docstrings.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
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
