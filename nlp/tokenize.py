"""Stage 5: cut Chinese sentences into words.

:class:`JiebaTokenizer` is a callable suitable for
``TfidfVectorizer(tokenizer=JiebaTokenizer(), token_pattern=None, lowercase=False)``.
It wraps jieba (or, with ``backend="rjieba"``, the Rust port jieba-rs, which
uses the same dictionary and algorithm and is several times faster), loads the
package's policy-term dictionary so terms like 两不愁三保障 stay whole, and
drops stopwords, punctuation, numbers with their units and the ``X``
placeholders of anonymised reports.

The tokenizer is a scikit-learn estimator (``get_params``/``set_params``), so
it clones, pickles and grid-searches like any other component; the jieba
engine itself is built lazily and shared between instances with the same
dictionary.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

from sklearn.base import BaseEstimator

from .resources import read_word_list, resource_path

BACKENDS = ("jieba", "rjieba")
DEFAULT_USER_DICT = "policy_terms.txt"
DEFAULT_STOPWORDS = "stopwords.txt"

_WORD_CHAR_RE = re.compile(r"[\w\u4e00-\u9fff]")
_PLACEHOLDER_RE = re.compile(r"[Xx×]+")
_engine_lock = threading.Lock()
_engines: dict[tuple[str, str], object] = {}


def _resolve(option: bool | str | Path, default_name: str) -> str:
    """Map ``True`` to the packaged resource, ``False`` to "none", a path to itself."""
    if option is True:
        return str(resource_path(default_name))
    if option is False or option is None:
        return ""
    path = Path(option)
    if not path.is_file():
        raise ValueError(f"word list {path} does not exist")
    return str(path)


def read_user_dict(path: str) -> list[tuple[str, int | None, str | None]]:
    """Parse a jieba user dictionary: ``word [freq] [tag]`` per line."""
    entries = []
    for line in read_word_list(path):
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        entries.append((parts[0], freq, tag))
    return entries


def _build_engine(backend: str, user_dict: str):
    if backend == "jieba":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        engine = jieba.Tokenizer()
        engine.initialize()
    else:
        try:
            import rjieba
        except ImportError as exc:  # an optional extra
            raise ValueError("backend='rjieba' needs the rjieba package: pip install 'nlp[fast]'") from exc
        engine = rjieba.Jieba()
    for word, freq, tag in read_user_dict(user_dict) if user_dict else []:
        engine.add_word(word, freq, tag)
    return engine


def get_engine(backend: str = "jieba", user_dict: str = ""):
    """Return the shared segmentation engine for a backend and user dictionary."""
    key = (backend, user_dict)
    with _engine_lock:
        if key not in _engines:
            _engines[key] = _build_engine(backend, user_dict)
        return _engines[key]


@lru_cache(maxsize=8)
def _load_stopwords(path: str) -> frozenset[str]:
    return frozenset(read_word_list(path)) if path else frozenset()


@lru_cache(maxsize=2**16)
def _cut(backend: str, user_dict: str, hmm: bool, text: str) -> tuple[str, ...]:
    """Raw segmentation, memoised: experiments tokenize the same sentences many times."""
    engine = get_engine(backend, user_dict)
    if backend == "jieba":
        return tuple(engine.lcut(text, HMM=hmm))
    return tuple(engine.cut(text, hmm))


def normalize_token(token: str, keep_numbers: bool = False) -> str:
    """Lower-case a token, remove ``X`` placeholders; return ``""`` for tokens to drop.

    Examples
    --------
    >>> [normalize_token(t) for t in ["X", "X镇", "2020", "41.7%", "SYB", "，"]]
    ['', '镇', '', '', 'syb', '']
    """
    token = token.strip()
    if not _WORD_CHAR_RE.search(token):
        return ""
    if _PLACEHOLDER_RE.search(token) and not re.search(r"[A-WYZa-wyz]", token):
        token = _PLACEHOLDER_RE.sub("", token)
    if not token or (not keep_numbers and token[0].isdigit()):
        return ""
    return token.lower()


class JiebaTokenizer(BaseEstimator):
    """Callable jieba tokenizer with policy terms, stopwords and number handling.

    Parameters
    ----------
    user_dict : bool or path, default=True
        ``True`` loads the packaged policy-term dictionary
        (``nlp/resources/policy_terms.txt``), ``False`` none, a path your own
        file in jieba's ``word [freq] [tag]`` format.
    stopwords : bool or path, default=True
        ``True`` uses the packaged list (``nlp/resources/stopwords.txt``),
        ``False`` keeps every word, a path your own list.
    min_length : int, default=2
        Shorter tokens are dropped (single characters are mostly function
        words or units in these reports).
    keep_numbers : bool, default=False
        Keep tokens that start with a digit (years, counts, amounts).
    hmm : bool, default=True
        Let jieba's HMM guess words missing from its dictionary.
    backend : {"jieba", "rjieba"}, default="jieba"
        ``"rjieba"`` uses jieba-rs (install the ``fast`` extra).

    Examples
    --------
    >>> tokenize = JiebaTokenizer()
    >>> tokenize("全面落实“两不愁三保障”，覆盖贫困学生X名")
    ['两不愁三保障', '覆盖', '贫困学生']
    """

    def __init__(
        self,
        user_dict: bool | str | Path = True,
        stopwords: bool | str | Path = True,
        min_length: int = 2,
        keep_numbers: bool = False,
        hmm: bool = True,
        backend: str = "jieba",
    ):
        self.user_dict = user_dict
        self.stopwords = stopwords
        self.min_length = min_length
        self.keep_numbers = keep_numbers
        self.hmm = hmm
        self.backend = backend

    def _settings(self) -> tuple[str, str, frozenset[str]]:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if not isinstance(self.min_length, int) or self.min_length < 1:
            raise ValueError(f"min_length must be a positive integer, got {self.min_length!r}")
        user_dict = _resolve(self.user_dict, DEFAULT_USER_DICT)
        return self.backend, user_dict, _load_stopwords(_resolve(self.stopwords, DEFAULT_STOPWORDS))

    def cut(self, text: str) -> list[str]:
        """Segment without any filtering (what jieba itself returns)."""
        backend, user_dict, _ = self._settings()
        return list(_cut(backend, user_dict, bool(self.hmm), text))

    def __call__(self, text: str) -> list[str]:
        backend, user_dict, stopwords = self._settings()
        tokens = []
        for raw in _cut(backend, user_dict, bool(self.hmm), text):
            token = normalize_token(raw, self.keep_numbers)
            if len(token) >= self.min_length and token not in stopwords:
                tokens.append(token)
        return tokens
