"""Stage 4: split a cleaned report into sentences with heading path and part.

Rules, in the order they cut:

* after ``。！？!?`` (with any closing quote or bracket that follows);
* at line ends (a paragraph never continues a sentence onto the next line);
* before and after every heading, so a heading that runs into its text is
  a sentence of its own;
* before an ``一是/二是…`` enumeration item that follows ``；`` or ``：`` --
  the items of ``存在问题：一是…；二是…；三是…。`` are separate policy
  statements and get separate labels.  Other ``；``-chains stay one sentence.

Only whitespace is dropped between sentences, so the sentences and the
separators between them concatenate back to the cleaned text exactly (a
property tested with hypothesis).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass

from nlp.text.cleaning import WORD_CHAR_RE
from nlp.text.structure import ITEM_RE, Heading, Section

__all__ = ["HEADING_SEPARATOR", "Sentence", "lead_clause", "segment", "split_spans"]

_TERMINATORS = "。！？!?"
_CLOSERS = "”’」』）)》"
# Both open with a character class, which lets the regex engine skip to the next candidate
# ("[…]+" or a lookbehind would be tried at every position).
_SENTENCE_END_RE = re.compile(f"[{_TERMINATORS}][{_TERMINATORS}]*[{_CLOSERS}]*")
# An item after a list's "；" or "："; the item starts one character into the match.
_ITEM_AFTER_LIST_RE = re.compile(rf"[；：;:](?:{ITEM_RE.pattern})")
_NEWLINE_RE = re.compile("\n")
_LEAD_CLAUSE_RE = re.compile(r"[^。，；：！？,;:!?]+")

HEADING_SEPARATOR = " > "


@dataclass(frozen=True)
class Sentence:
    """One sentence of a report.

    Attributes
    ----------
    report_id : str
        Id of the report (file name without suffix).
    index : int
        Position of the sentence in its report, from 0.
    text : str
        The sentence, equal to ``report.text[start:end]``.
    start, end : int
        Character offsets into the cleaned report text.
    heading_path : tuple of str
        Enclosing headings from the top level down; for sentences inside an
        ``一是…`` item, the item's lead clause comes last.
    part : str
        ``"review"``, ``"problems"`` or ``"plan"``.
    is_heading : bool
        Whether the sentence is itself a heading.
    heading_level : int or None
        The heading level (0-3) if ``is_heading``.
    """

    report_id: str
    index: int
    text: str
    start: int
    end: int
    heading_path: tuple[str, ...]
    part: str
    is_heading: bool = False
    heading_level: int | None = None

    @property
    def heading(self) -> str:
        """The heading path as one string, ``"一、… > （一）…"``."""
        return HEADING_SEPARATOR.join(self.heading_path)

    def to_record(self) -> dict:
        """A flat dict for CSV/JSON export (heading path joined by ``" > "``)."""
        record = asdict(self)
        record["heading_path"] = self.heading
        return record


def _new_sentence(**fields) -> Sentence:
    """``Sentence(**fields)`` with every field given, without the frozen dataclass's ``__init__``.

    That ``__init__`` sets each field through ``object.__setattr__`` (a
    quarter of :func:`segment` on a long report); filling the instance's
    dict directly builds the same, equal and hashable, object.
    """
    sentence = object.__new__(Sentence)
    sentence.__dict__.update(fields)
    return sentence


def _cut_points(text: str, headings: list[Heading]) -> list[int]:
    cuts = {0, len(text)}
    cuts.update(m.end() for m in _SENTENCE_END_RE.finditer(text))
    cuts.update(m.start() for m in _NEWLINE_RE.finditer(text))
    for heading in headings:
        cuts.update((heading.start, heading.end))
    cuts.update(m.start() + 1 for m in _ITEM_AFTER_LIST_RE.finditer(text))
    return sorted(cuts)


def split_spans(text: str, headings: list[Heading] = ()) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text``.

    Spans never overlap, never start or end with whitespace, and the text
    between two consecutive spans is whitespace only.  A piece without any
    word character (a lone ``”`` or ``！``) joins the sentence before it.

    Examples
    --------
    >>> text = "一是强化领导。成立小组；二是压实责任。\\n（二）人居环境"
    >>> [text[s:e] for s, e in split_spans(text)]
    ['一是强化领导。', '成立小组；', '二是压实责任。', '（二）人居环境']
    """
    spans: list[tuple[int, int]] = []
    cuts = _cut_points(text, list(headings))
    for start, end in itertools.pairwise(cuts):
        piece = text[start:end]
        stripped = piece.strip()
        if not stripped:
            continue
        start += len(piece) - len(piece.lstrip())
        end = start + len(stripped)
        if spans and not WORD_CHAR_RE.search(stripped) and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def lead_clause(sentence: str) -> str:
    """The first clause of an item lead, used as its heading: ``一是强化组织领导。`` → ``一是强化组织领导``."""
    match = _LEAD_CLAUSE_RE.match(sentence)
    return match.group(0) if match else sentence


def segment(text: str, report_id: str, headings: list[Heading], sections: list[Section]) -> list[Sentence]:
    """Split ``text`` into :class:`Sentence` objects carrying heading path and part.

    ``headings`` and ``sections`` come from :func:`nlp.text.structure.find_headings`
    and :func:`nlp.text.structure.build_sections` on the same text.
    """
    heading_starts = {h.start: h for h in headings}
    section_at = {s.start: s for s in sections}
    sentences: list[Sentence] = []
    item: str | None = None
    previous_end = 0
    open_sections: list[Section] = []  # sections containing the current position, outermost first
    pending = iter(sorted(sections, key=lambda s: s.start))
    upcoming = next(pending, None)
    # The open sections change only where one of them ends or the next one has begun: until the first
    # sentence at or past that point they, and the path and part they give, are reused as they are.
    changes_at = 0
    after_text = len(text) + 1
    for index, (start, end) in enumerate(split_spans(text, headings)):
        if start >= changes_at:
            open_sections = [s for s in open_sections if s.end > start]
            while upcoming is not None and upcoming.start < start:
                if upcoming.end > start:
                    open_sections.append(upcoming)
                upcoming = next(pending, None)
            changes_at = min([s.end for s in open_sections], default=after_text)
            if upcoming is not None:
                changes_at = min(changes_at, upcoming.start + 1)
            # the sections started before this sentence and still open; text before the first heading is review
            enclosing_path = open_sections[-1].path if open_sections else ()
            enclosing_part = open_sections[-1].part if open_sections else "review"
        sentence_text = text[start:end]
        heading = heading_starts.get(start)
        path = enclosing_path
        if heading is not None:
            item = None  # an item ends at the next heading or paragraph
            part = section_at[start].part
        else:
            if text.find("\n", previous_end, start) >= 0:
                item = None  # and at the next paragraph
            if ITEM_RE.match(sentence_text):
                item = lead_clause(sentence_text)
            elif item is not None:
                path = (*path, item)
            part = enclosing_part
        sentences.append(
            _new_sentence(
                report_id=report_id,
                index=index,
                text=sentence_text,
                start=start,
                end=end,
                heading_path=path,
                part=part,
                is_heading=heading is not None,
                heading_level=heading.level if heading is not None else None,
            )
        )
        previous_end = end
    return sentences
