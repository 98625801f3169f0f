"""The parameter protocol of a scikit-learn estimator, for components that must not import scikit-learn.

Importing scikit-learn costs most of a second (it pulls in SciPy's statistics
and pandas), which ``python -m nlp predict`` on one small report should not
pay.  A class that only needs to be *part* of an estimator -- a tokenizer
passed to a vectorizer -- gets ``get_params``/``set_params``, cloning and a
short ``repr`` from :class:`Params` instead of ``sklearn.base.BaseEstimator``:
:func:`sklearn.base.clone` calls ``__sklearn_clone__``, and nested parameters
(``tokenizer__min_length``) are set and searched as usual.
"""

from __future__ import annotations

import inspect

__all__ = ["Params"]


class Params:
    """``get_params``/``set_params``/``__sklearn_clone__`` from the ``__init__`` signature.

    As with scikit-learn, ``__init__`` must store each argument unchanged
    under its own name.

    Examples
    --------
    >>> class Box(Params):
    ...     def __init__(self, size=1, colour="red"):
    ...         self.size, self.colour = size, colour
    >>> Box(size=2).set_params(colour="blue").get_params()
    {'colour': 'blue', 'size': 2}
    >>> Box(size=2)
    Box(size=2)
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return sorted(p.name for p in signature.parameters.values() if p.name != "self" and p.kind in kinds)

    def get_params(self, deep: bool = True) -> dict:
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{key}", nested) for key, nested in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params) -> Params:
        valid = self._get_param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, rest = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; valid: {valid}")
            if rest:
                nested.setdefault(name, {})[rest] = value
            else:
                setattr(self, name, value)
        for name, values in nested.items():
            getattr(self, name).set_params(**values)
        return self

    def __sklearn_clone__(self) -> Params:
        return type(self)(**self.get_params(deep=False))

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items() if name != "self"
        }
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params(deep=False).items()
            if not (name in defaults and _same(defaults[name], value))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(default, value) -> bool:
    return type(default) is type(value) and default == value
