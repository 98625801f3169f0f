"""Every module declares its public names, and declares them all."""

import importlib
import inspect
import pkgutil

import pytest

import nlp

MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(nlp.__path__, "nlp.") if not name.endswith("__main__"))


def test_every_stage_family_is_a_subpackage():
    assert {"nlp.core", "nlp.text", "nlp.classify", "nlp.topics", "nlp.analysis", "nlp.io"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_all_lists_exactly_its_public_definitions(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
    defined_here = {
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == name
    }
    assert defined_here <= set(module.__all__), (
        f"{name}: public but not in __all__: {defined_here - set(module.__all__)}"
    )
