"""Stage 5: cut Chinese sentences into words.

:class:`JiebaTokenizer` is a callable suitable for
``TfidfVectorizer(tokenizer=JiebaTokenizer(), token_pattern=None, lowercase=False)``.
It wraps jieba or the Rust port jieba-rs (``backend="rjieba"``, which uses the
same dictionary and algorithm and is several times faster; the default,
``"auto"``, picks it where it is installed), loads the
package's policy-term dictionary so terms like 两不愁三保障 stay whole, and
drops stopwords, punctuation, numbers with their units and the ``X``
placeholders of anonymised reports.

The tokenizer follows scikit-learn's estimator protocol (``get_params``/``set_params``,
from :class:`nlp.core.params.Params`, so that importing it does not import
scikit-learn), so it clones, pickles and grid-searches like any other component; the jieba
engine itself is built lazily and shared between instances with the same
dictionary.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import threading
from functools import lru_cache, partial
from itertools import chain, repeat
from pathlib import Path
from typing import NamedTuple

from nlp.core.fileio import file_sha256
from nlp.core.memo import clear_memos, memo, store
from nlp.core.params import Params
from nlp.resources import read_word_list, resource_path
from nlp.text.cleaning import WORD_CHAR_RE

__all__ = [
    "AUTO",
    "BACKENDS",
    "DEFAULT_STOPWORDS",
    "DEFAULT_USER_DICT",
    "JiebaTokenizer",
    "TokenizerSettings",
    "clear_memo",
    "default_backend",
    "get_engine",
    "iter_tokenizers",
    "normalize_token",
    "read_user_dict",
    "set_backend",
]

BACKENDS = ("jieba", "rjieba")
#: The default backend: rjieba where it is installed, else jieba. The tokens our features see are
#: identical (``tests/test_tokenize.py`` checks every sentence of the seed and external reports),
#: and rjieba segments several times faster and loads its dictionary in a third of the time.
AUTO = "auto"
DEFAULT_USER_DICT = "policy_terms.txt"
DEFAULT_STOPWORDS = "stopwords.txt"

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
        engine = _unclaimed_rjieba_default(rjieba) or rjieba.Jieba()
    for word, freq, tag in read_user_dict(user_dict) if user_dict else []:
        engine.add_word(word, freq, tag)
    return engine


_rjieba_default_claimed = False


def _unclaimed_rjieba_default(rjieba):
    """rjieba's module-level engine (``rjieba.cut``/``rjieba.add_word``) the first time one is needed, else None.

    Importing rjieba builds that engine (0.14 s, a fifth of ``predict`` on a small
    report); building a second one for our dictionary doubled the cost.  The first
    engine we need takes it over, so ``rjieba.cut`` then knows our policy terms too.
    """
    global _rjieba_default_claimed
    if _rjieba_default_claimed:
        return None
    _rjieba_default_claimed = True
    return _ModuleEngine(rjieba.cut, rjieba.add_word)


class _ModuleEngine(NamedTuple):
    cut: object
    add_word: object


def get_engine(backend: str = "jieba", user_dict: str = "", user_dict_sha256: str = ""):
    """Return the shared segmentation engine for a backend and user dictionary (and its contents' digest)."""
    key = (backend, user_dict, user_dict_sha256)
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _engine_lock:
        if key not in _engines:
            _engines[key] = _build_engine(backend, user_dict)
        return _engines[key]


@lru_cache(maxsize=1)
def default_backend() -> str:
    """What ``backend="auto"`` means here: ``"rjieba"`` if it is installed, else ``"jieba"``."""
    return "rjieba" if importlib.util.find_spec("rjieba") is not None else "jieba"


@lru_cache(maxsize=8)
def _load_stopwords(path: str, sha256: str) -> frozenset[str]:
    # keyed by content too: a list edited in the same process (a notebook) is read again
    return frozenset(read_word_list(path)) if path else frozenset()


def _content_digest(path: str) -> str:
    """SHA-256 of a word list's bytes ("" for none): what caches and memos of its tokens are keyed by."""
    return file_sha256(path) if path else ""


class TokenizerSettings(NamedTuple):
    """A tokenizer's resolved settings; also the key of its memo."""

    backend: str
    user_dict: str  # path, "" for none
    stopwords: str  # path, "" for none
    hmm: bool
    min_length: int
    keep_numbers: bool
    user_dict_sha256: str  # contents of the word lists, "" for none
    stopwords_sha256: str


def _resolve_settings(backend, user_dict, stopwords, hmm, min_length, keep_numbers) -> TokenizerSettings:
    """Validated, resolved tokenizer settings, with the word lists' contents hashed."""
    if backend == AUTO:
        backend = default_backend()
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {(*BACKENDS, AUTO)}, got {backend!r}")
    if not isinstance(min_length, int) or min_length < 1:
        raise ValueError(f"min_length must be a positive integer, got {min_length!r}")
    resolved_user_dict = _resolve(user_dict, DEFAULT_USER_DICT)
    resolved_stopwords = _resolve(stopwords, DEFAULT_STOPWORDS)
    return TokenizerSettings(
        backend,
        resolved_user_dict,
        resolved_stopwords,
        bool(hmm),
        min_length,
        bool(keep_numbers),
        _content_digest(resolved_user_dict),
        _content_digest(resolved_stopwords),
    )


# jieba segments each run of these characters on its own and passes everything else through
# one character at a time; splitting the same way first lets the memo below work per clause,
# so a heading or a section's text reuses the segmentation of its sentences.
_HAN_BLOCK_RE = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")
# Characters that jieba-rs counts as Han and jieba does not (CJK extension A, U+9FD6-U+9FFF,
# compatibility ideographs; every code point beyond the BMP, to be safe): a text with one of them
# is cut block by block with jieba's blocks, so that both backends see the same clauses.
_NOT_JIEBA_HAN_RE = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00010000-\U0010ffff]")


class _Memos(NamedTuple):
    """The memos a tokenizer's settings use; looked up once per call, not once per clause."""

    settings: TokenizerSettings
    kept: dict  # clause -> kept tokens (bounded)
    remembered: dict  # clause -> kept tokens, loaded from a token cache (kept until clear_memo)
    decisions: dict  # raw token -> kept token, "" when dropped (bounded)
    texts: dict  # text -> its blocks (bounded): a sentence comes back as a line of its context
    tokens: dict  # text -> its kept tokens (bounded), for :meth:`JiebaTokenizer.tokens`


def _memos(settings: TokenizerSettings) -> _Memos:
    # process-wide (shared by clones and pickled copies in one process), emptied by clear_memo()
    return _Memos(
        settings,
        memo("kept", *settings),
        memo("remembered", *settings),
        memo(
            "decisions",
            settings.stopwords_sha256,
            settings.min_length,
            settings.keep_numbers,
            factory=partial(_Decisions, settings),
        ),
        memo("texts", *settings),
        memo("tokens", *settings),
    )


@lru_cache(maxsize=16)
def _cutter(settings: TokenizerSettings):
    """The engine's cut of one block or text, as a function, built once per settings (engines are never replaced)."""
    engine = get_engine(settings.backend, settings.user_dict, settings.user_dict_sha256)
    if settings.backend == "jieba":
        return partial(engine.lcut, HMM=settings.hmm)
    cut, hmm = engine.cut, settings.hmm
    return lambda block: cut(block, hmm)


def _pieces(text: str) -> list[tuple[bool, str]]:
    """``(is_han_block, piece)`` in order: jieba's blocks and the characters between them."""
    return [(bool(_HAN_BLOCK_RE.fullmatch(p)), p) for p in _HAN_BLOCK_RE.split(text) if p]


def _cut(settings: TokenizerSettings, text: str) -> list[str]:
    """Raw segmentation, identical to ``jieba.lcut`` except that whitespace is not returned."""
    raw_memo = memo("raw", settings.backend, settings.user_dict_sha256, settings.hmm)
    cut = _cutter(settings)
    tokens: list[str] = []
    for is_han, piece in _pieces(text):
        if not is_han:
            tokens.extend(ch for ch in piece if not ch.isspace())
            continue
        found = raw_memo.get(piece)
        if found is None:
            found = store(raw_memo, piece, tuple(cut(piece)))
        tokens.extend(found)
    return tokens


def _keep(raw_tokens, decisions: _Decisions) -> tuple[str, ...]:
    """The tokens that survive normalisation, the length limit and the stopword list."""
    # raw token -> kept token ("" when dropped): the same few thousand words recur in every report,
    # and a token not seen before is decided by the memo itself (_Decisions.__missing__)
    return tuple(filter(None, map(decisions.__getitem__, raw_tokens)))


class _Decisions(dict):
    """Raw token -> kept token (``""`` when dropped), deciding a token the first time it is looked up."""

    def __init__(self, settings: TokenizerSettings):
        super().__init__()
        self.settings = settings

    def __missing__(self, raw: str) -> str:
        settings = self.settings
        return _decide(raw, settings, _load_stopwords(settings.stopwords, settings.stopwords_sha256), self)


def _decide(raw: str, settings: TokenizerSettings, stopwords: frozenset, decisions: dict) -> str:
    token = normalize_token(raw, settings.keep_numbers)
    if len(token) < settings.min_length or token in stopwords:
        token = ""
    return store(decisions, raw, token)


def clear_memo() -> None:
    """Forget memoised and remembered segmentations (benchmarks use it to measure cold runs)."""
    clear_memos()


def normalize_token(token: str, keep_numbers: bool = False) -> str:
    """Lower-case a token, remove ``X`` placeholders; return ``""`` for tokens to drop.

    Examples
    --------
    >>> [normalize_token(t) for t in ["X", "X镇", "2020", "41.7%", "SYB", "，"]]
    ['', '镇', '', '', 'syb', '']
    """
    token = token.strip()
    if not WORD_CHAR_RE.search(token):
        return ""
    if _PLACEHOLDER_RE.search(token) and not re.search(r"[A-WYZa-wyz]", token):
        token = _PLACEHOLDER_RE.sub("", token)
    if not token or (not keep_numbers and token[0].isdigit()):
        return ""
    return token.lower()


class JiebaTokenizer(Params):
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
    backend : {"auto", "jieba", "rjieba"}, default="auto"
        ``"rjieba"`` uses jieba-rs (install the ``fast`` extra); ``"auto"``
        uses it where it is installed and jieba elsewhere (the tokens are
        the same, so a model predicts alike with either).

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
        backend: str = AUTO,
    ):
        self.user_dict = user_dict
        self.stopwords = stopwords
        self.min_length = min_length
        self.keep_numbers = keep_numbers
        self.hmm = hmm
        self.backend = backend

    def resolved_settings(self) -> TokenizerSettings:
        """Validated settings with word lists resolved to paths and their contents hashed.

        Resolved once per tokenizer and parameter values (it runs for every
        sentence): a new tokenizer, a clone or ``set_params`` reads the word
        lists again, so an edited stopword file is never served from an old memo.

        Raises
        ------
        ValueError
            If a parameter is invalid.
        """
        return self._memos().settings

    def cut(self, text: str) -> list[str]:
        """Segment without any filtering (what jieba itself returns)."""
        return _cut(self.resolved_settings(), text)

    def __call__(self, text: str) -> list[str]:
        return list(self.tokens(text))

    def tokens(self, text: str) -> tuple[str, ...]:
        """The kept tokens of ``text`` (what calling the tokenizer returns), as a memoised tuple.

        jieba segments each block on its own, so the engine cuts the whole
        text in one call and gives the tokens of cutting it block by block:
        one call per sentence instead of one per clause, which is most of the
        cost of new text.  Texts the two backends would split into different
        blocks, and any text while a token cache is remembered, go block by block.

        Examples
        --------
        >>> JiebaTokenizer().tokens("全面落实“两不愁三保障”，覆盖贫困学生X名")
        ('两不愁三保障', '覆盖', '贫困学生')
        """
        memos = self._memos()
        found = memos.tokens.get(text)
        return found if found is not None else self._new_tokens(memos, [text])[0]

    def tokens_of(self, texts: list[str]) -> list[tuple[str, ...]]:
        """:meth:`tokens` of each of ``texts``: memoised texts looked up all at once, the others cut."""
        memos = self._memos()
        found = list(map(memos.tokens.get, texts))
        new = [i for i, tokens in enumerate(found) if tokens is None]
        for i, tokens in zip(new, self._new_tokens(memos, [texts[i] for i in new]), strict=True):
            found[i] = tokens
        return found

    def _new_tokens(self, memos: _Memos, texts: list[str]) -> list[tuple[str, ...]]:
        """Cut and keep the tokens of texts not memoised yet, and memoise them."""
        cut = _cutter(memos.settings)
        by_blocks = _NOT_JIEBA_HAN_RE.search if memos.settings.backend != "jieba" else lambda _: None
        new = []
        for text in texts:
            if memos.remembered or by_blocks(text):
                found = tuple(chain.from_iterable(self.blocks(text)))
            else:
                found = _keep(cut(text), memos.decisions)
            new.append(store(memos.tokens, text, found))
        return new

    def blocks(self, text: str) -> tuple[tuple[str, ...], ...]:
        """The kept tokens of ``text``, grouped by jieba block (a clause between punctuation).

        The same clause gives the same tuple object from the memo, which lets a
        vectorizer cache its vocabulary lookups per clause; a whole text seen
        before (a sentence comes back as a line of its context) is memoised too.
        """
        settings, kept_memo, remembered, decisions, texts, _ = self._memos()
        found_text = texts.get(text)
        if found_text is not None:
            return found_text
        blocks: list[tuple[str, ...]] = []
        cut = None  # the engine, looked up at the first clause not in a memo
        # Characters outside jieba's blocks come out one by one: with min_length >= 2 none survives.
        pieces = zip(repeat(True), _HAN_BLOCK_RE.findall(text)) if settings.min_length >= 2 else _pieces(text)
        for is_han, piece in pieces:
            if not is_han:
                blocks.append(_keep((ch for ch in piece if not ch.isspace()), decisions))
                continue
            found = remembered.get(piece)
            if found is None:  # (an empty tuple is a hit: a clause of stopwords only)
                found = kept_memo.get(piece)
            if found is None:
                cut = cut or _cutter(settings)
                found = store(kept_memo, piece, _keep(cut(piece), decisions))
            blocks.append(found)
        return store(texts, text, tuple(blocks))

    def block_table(self, texts) -> dict[str, tuple[str, ...]]:
        """Kept tokens of every jieba block (clause) in ``texts``: what a token cache stores."""
        table = {}
        for text in texts:
            for block in _HAN_BLOCK_RE.findall(text):
                if block not in table:
                    (table[block],) = self.blocks(block)  # one jieba block in, one token tuple out
        return table

    def remember(self, table: dict[str, tuple[str, ...]]) -> None:
        """Keep a :meth:`block_table` (e.g. from a cache) until :func:`clear_memo`: those clauses skip jieba.

        Unlike the bounded memo, remembered tables are never dropped: an
        experiment remembers the clauses of the corpus it holds in memory anyway.
        """
        memos = self._memos()
        memos.remembered.update(table)
        memos.texts.clear()  # whole texts memoised before: their clauses may now be remembered ones
        memos.tokens.clear()

    def _memos(self) -> _Memos:
        params = (self.backend, self.user_dict, self.stopwords, self.hmm, self.min_length, self.keep_numbers)
        resolved = self.__dict__.get("_resolved")
        if resolved is None or resolved[0] != params:
            resolved = self.__dict__["_resolved"] = (params, _memos(_resolve_settings(*params)))
        return resolved[1]

    def __getstate__(self) -> dict:
        # resolved settings are per process and per word-list contents: never pickled or saved in a model file
        # a copy: object.__getstate__ returns the instance's own __dict__, and popping from it would make
        # the live tokenizer resolve (and hash its word lists) again after every pickle
        return {name: value for name, value in vars(self).items() if name != "_resolved"}


def iter_tokenizers(obj, _seen: set | None = None, _depth: int = 0):
    """Every :class:`JiebaTokenizer` inside a (fitted) estimator, searching its attributes.

    Also used to vet a loaded model file (:mod:`nlp.classify.persist`), so it follows
    containers and objects of this package and scikit-learn only, visits each
    object once and gives up below 50 levels (a crafted file may nest deeply).
    """
    seen = _seen if _seen is not None else set()
    if id(obj) in seen or _depth > 50 or isinstance(obj, str | bytes | int | float):
        return
    seen.add(id(obj))
    if isinstance(obj, JiebaTokenizer):
        yield obj
        return
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, list | tuple | set | frozenset):
        children = list(obj)
    elif hasattr(obj, "__dict__") and type(obj).__module__.split(".")[0] in ("nlp", "sklearn"):
        children = list(vars(obj).values())
    else:
        return
    for child in children:
        if not isinstance(child, str | bytes | int | float):  # (a vocabulary holds tens of thousands)
            yield from iter_tokenizers(child, seen, _depth + 1)


def set_backend(estimator, backend: str) -> int:
    """Switch every tokenizer of a fitted estimator to ``backend``; return how many were switched.

    jieba and rjieba (jieba-rs) share dictionary and algorithm, so a model
    trained with one predicts with the other (``tests/test_tokenize.py``
    measures their agreement on the seed corpus).
    """
    if backend not in (*BACKENDS, AUTO):
        raise ValueError(f"backend must be one of {(*BACKENDS, AUTO)}, got {backend!r}")
    tokenizers = list(iter_tokenizers(estimator))
    for tokenizer in tokenizers:
        tokenizer.backend = backend
    return len(tokenizers)
