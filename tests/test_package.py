from __future__ import annotations

import importlib
from pathlib import Path

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


def test_every_subpackage_declares_its_public_names():
    root = Path(qcnn_tl.__file__).parent
    for init in root.rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(root.parent).parts)
        package = importlib.import_module(name)
        assert isinstance(getattr(package, "__all__", None), list), f"{name} has no __all__"
        for public in package.__all__:
            assert hasattr(package, public) or importlib.import_module(f"{name}.{public}"), (name, public)
