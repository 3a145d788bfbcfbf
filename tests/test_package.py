from __future__ import annotations

import importlib

import pytest

import qcnn_tl


@pytest.mark.parametrize("name", qcnn_tl.__all__)
def test_every_top_level_name_resolves(name):
    module = importlib.import_module(qcnn_tl._EXPORTS[name])
    assert getattr(qcnn_tl, name) is getattr(module, name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        qcnn_tl.nope  # noqa: B018


def test_all_lists_every_export_and_the_version_is_the_installed_one():
    from importlib.metadata import version

    assert sorted(qcnn_tl.__all__) == sorted(qcnn_tl._EXPORTS)
    assert qcnn_tl.__version__ == version("qcnn-tl")
