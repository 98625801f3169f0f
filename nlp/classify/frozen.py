"""Rebuild a saved classifier for prediction only, without importing scikit-learn or skops.

Importing skops (which imports every scikit-learn estimator to list the types
it trusts) and scikit-learn costs ``python -m nlp predict`` more than a
second before it reads a sentence.  For prediction a model needs none of it:
:func:`load_frozen` reads the skops archive itself and rebuilds the fitted
state into the small classes of :mod:`nlp.classify.inference`, whose
probabilities are bit-identical to the estimators' (tested).

It is stricter than the skops loader, never looser: it knows a fixed table of
types (:data:`KNOWN_TYPES`, all of them allowed by
:data:`nlp.classify.persist.ALLOWED_TYPES` or trusted by skops), imports
nothing a file names, builds no object the table does not name, reads arrays
with ``allow_pickle=False`` and gives up below :data:`MAX_DEPTH` levels.
Anything else -- another model (``svm``, ``cnb``), a type it does not know, a
corrupt or crafted file -- gives ``None``, and
:func:`nlp.classify.persist.load_classifier` loads the file the full way,
with its audit and its error messages.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from nlp.classify import inference as frozen
from nlp.classify.inference import PACKED_VOCABULARY, is_plain_vocabulary, remove_numbers
from nlp.text.tokenize import JiebaTokenizer

__all__ = ["KNOWN_TYPES", "MAX_DEPTH", "Unsupported", "load_frozen"]

#: Deepest nesting of a schema this reader follows (a model of ours is about 15 levels deep).
MAX_DEPTH = 100


class Unsupported(Exception):
    """The archive holds something this reader does not rebuild."""


class _Object(NamedTuple):
    """An object of the archive, not built: its type name and its attributes."""

    type: str
    attrs: dict


# Types of values, as TypeNode, DictNode keys and NdArrayNode scalars name them.
_TYPES = {
    "builtins.str": str,
    "builtins.int": int,
    "builtins.float": float,
    "builtins.bool": bool,
    "numpy.float64": np.float64,
    "numpy.float32": np.float32,
    "numpy.int64": np.int64,
}
_FUNCTIONS = {"nlp.classify.features.strip_numbers": remove_numbers}


def _rebuild_policy_classifier(attrs: dict):
    text_pipeline = attrs.get("text_pipeline_")
    temperature = attrs.get("temperature", 1.0)
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise Unsupported("temperature")
    return frozen.FrozenClassifier(
        _rebuild(attrs["pipeline_"]),
        None if text_pipeline is None else _rebuild(text_pipeline),
        _array(attrs["classes_"]),
        float(temperature),
        attrs.get("model_card_"),
    )


def _rebuild_pipeline(attrs: dict):
    return frozen.FrozenPipeline(
        [(name, None if step in (None, "passthrough") else _rebuild(step)) for name, step in attrs["steps"]]
    )


def _rebuild_union(attrs: dict):
    weights = attrs.get("transformer_weights")
    if weights is not None and not isinstance(weights, dict):
        raise Unsupported("transformer_weights")
    parts = [(name, _rebuild(part)) for name, part in attrs["transformer_list"] if part != "drop"]
    return frozen.FrozenUnion(parts, weights)


def _rebuild_lexicon(attrs: dict):
    return frozen.FrozenLexicon(attrs["field"], _strings(attrs["patterns_"]), attrs["scale"])


def _rebuild_heading_rules(attrs: dict):
    labeler = _expect(attrs["labeler_"], "nlp.classify.labels.HeadingRuleLabeler")
    rules = [(str(category), str(pattern)) for category, pattern in labeler["rules_"]]
    labels = frozen.FrozenHeadingLabeler(rules, _array(labeler["classes_"]), labeler["default"])
    return frozen.FrozenHeadingRules(labels)


def _rebuild_empty_safe(attrs: dict):
    vectorizer = attrs["vectorizer_"]
    return frozen.FrozenEmptySafe(None if vectorizer is None else _rebuild(vectorizer))


_VECTORIZER_SETTINGS = (
    "input",
    "encoding",
    "decode_error",
    "strip_accents",
    "preprocessor",
    "tokenizer",
    "analyzer",
    "lowercase",
    "stop_words",
    "ngram_range",
    "binary",
    "dtype",
)


def _rebuild_tfidf(attrs: dict):
    settings = {name: attrs[name] for name in _VECTORIZER_SETTINGS}
    if isinstance(settings["tokenizer"], _Object):
        settings["tokenizer"] = _tokenizer(settings["tokenizer"])
    if settings["dtype"] is not np.float64 or settings["strip_accents"] is not None:
        raise Unsupported("vectorizer dtype or accents")
    if settings["preprocessor"] not in (None, remove_numbers):
        raise Unsupported("preprocessor")
    vocabulary = json.loads(attrs[PACKED_VOCABULARY]) if PACKED_VOCABULARY in attrs else attrs["vocabulary_"]
    if not is_plain_vocabulary(vocabulary):
        raise Unsupported("vocabulary")
    weighting = _expect(attrs["_tfidf"], "sklearn.feature_extraction.text.TfidfTransformer")
    idf = _array(weighting["idf_"]) if weighting["use_idf"] else None
    vectorizer = frozen.FrozenTfidf(settings, vocabulary, idf, bool(weighting["sublinear_tf"]), weighting["norm"])
    if not (vectorizer._word_fast_path() or vectorizer._char_fast_path()) or weighting["norm"] not in ("l2", None):
        raise Unsupported("a vectorizer off the fast paths")
    return vectorizer


def _tokenizer(obj: _Object) -> JiebaTokenizer:
    attrs = _expect(obj, "nlp.text.tokenize.JiebaTokenizer")
    # its parameters only (what __init__ stores); persist checks their values after loading
    return JiebaTokenizer(**{name: attrs[name] for name in JiebaTokenizer._get_param_names()})


def _rebuild_logistic_regression(attrs: dict):
    classes = _array(attrs["classes_"])
    coef, intercept = _array(attrs["coef_"]), _array(attrs["intercept_"])
    if len(classes) <= 2 or coef.ndim != 2 or coef.shape[0] != len(classes) or intercept.shape != (len(classes),):
        raise Unsupported("a binary or malformed logistic regression")
    return frozen.FrozenLogisticRegression(coef, intercept, classes)


_REBUILDERS = {
    "nlp.classify.model.PolicyClassifier": _rebuild_policy_classifier,
    "sklearn.pipeline.Pipeline": _rebuild_pipeline,
    "sklearn.pipeline.FeatureUnion": _rebuild_union,
    "nlp.classify.features.SentenceField": lambda attrs: frozen.FrozenField(attrs["field"]),
    "nlp.classify.features.StructureFeatures": lambda attrs: frozen.FrozenStructure(),
    "nlp.classify.features.CodebookLexicon": _rebuild_lexicon,
    "nlp.classify.features.HeadingRuleFeatures": _rebuild_heading_rules,
    "nlp.classify.features.EmptySafe": _rebuild_empty_safe,
    "nlp.classify.features.FastTfidfVectorizer": _rebuild_tfidf,
    "sklearn.linear_model._logistic.LogisticRegression": _rebuild_logistic_regression,
}
#: Every type this reader accepts in an archive: those it rebuilds, and the parts they are made of.
KNOWN_TYPES = frozenset(
    {
        *_REBUILDERS,
        "nlp.classify.labels.HeadingRuleLabeler",
        "nlp.text.tokenize.JiebaTokenizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
    }
)


def _rebuild(value):
    if not isinstance(value, _Object) or value.type not in _REBUILDERS:
        raise Unsupported(f"cannot rebuild {getattr(value, 'type', type(value).__name__)}")
    return _REBUILDERS[value.type](value.attrs)


def _expect(value, type_name: str) -> dict:
    if not isinstance(value, _Object) or value.type != type_name:
        raise Unsupported(f"expected {type_name}")
    return value.attrs


def _array(value) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise Unsupported("expected an array")
    return value


def _strings(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Unsupported("expected a list of strings")
    return value


class _Reader:
    """Plain values and :class:`_Object` records from a skops schema; nothing is imported or run."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive

    def read(self, node, depth: int = 0):
        if depth > MAX_DEPTH or not isinstance(node, dict):
            raise Unsupported("too deep, or not a node")
        loader = node.get("__loader__")
        name = f"{node.get('__module__')}.{node.get('__class__')}"
        if loader == "JsonNode":
            return json.loads(node["content"])
        if loader in ("ListNode", "TupleNode"):
            kind = {"ListNode": ("builtins.list", list), "TupleNode": ("builtins.tuple", tuple)}[loader]
            if name != kind[0]:
                raise Unsupported(name)
            return kind[1](self.read(item, depth + 1) for item in node["content"])
        if loader == "DictNode":
            return self._dict(node, name, depth)
        if loader == "NdArrayNode":
            return self._array(node, name, depth)
        if loader == "TypeNode":
            return _lookup(_TYPES, name)
        if loader == "FunctionNode":
            return _lookup(_FUNCTIONS, name)
        if loader == "ObjectNode":
            if name not in KNOWN_TYPES:
                raise Unsupported(name)
            attrs = self.read(node["content"], depth + 1) if "content" in node else {}
            if not isinstance(attrs, dict):
                raise Unsupported("attributes")
            return _Object(name, attrs)
        raise Unsupported(str(loader))

    def _dict(self, node: dict, name: str, depth: int) -> dict:
        if name != "builtins.dict":
            raise Unsupported(name)
        key_types = self.read(node["key_types"], depth + 1)
        content = node["content"]
        if len(key_types) != len(content) or not all(t in (str, int) for t in key_types):
            raise Unsupported("dict keys")
        return {t(key): self.read(value, depth + 1) for t, (key, value) in zip(key_types, content.items(), strict=True)}

    def _array(self, node: dict, name: str, depth: int):
        if node["type"] == "numpy":
            data = np.load(io.BytesIO(self.archive.read(node["file"])), allow_pickle=False)
            return data if name == "numpy.ndarray" else _lookup(_TYPES, name)(data)
        if node["type"] == "json" and name == "numpy.ndarray":
            items = [self.read(item, depth + 1) for item in node["content"]]
            shape = self.read(node["shape"], depth + 1)
            if len(shape) != 1:
                return np.array(items, dtype=object)
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array
        raise Unsupported(name)


def _lookup(table: dict, name: str):
    if name not in table:
        raise Unsupported(name)
    return table[name]


def load_frozen(path: str | Path):
    """The classifier in ``path`` rebuilt for prediction, or ``None`` if this reader does not rebuild it.

    ``None`` also for a file that is not a readable model: the full loader
    then says precisely why.  Call :func:`nlp.classify.persist.load_classifier`
    with ``for_prediction=True`` rather than this, so the file's size and its
    tokenizers are checked as for any model.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            schema = json.loads(archive.read("schema.json"))
            model = _Reader(archive).read(schema)
        if not isinstance(model, _Object) or model.type != "nlp.classify.model.PolicyClassifier":
            raise Unsupported("not a PolicyClassifier")
        return _rebuild(model)
    except (Unsupported, OSError, zipfile.BadZipFile, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None  # (json.JSONDecodeError is a ValueError)
    except RecursionError:
        return None
