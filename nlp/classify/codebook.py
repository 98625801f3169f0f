"""The policy-category codebook: categories, definitions, typical terms, hard cases.

The codebook is a package resource (``nlp/resources/codebook.json``); the
human-readable ``nlp/resources/CODEBOOK.md`` is rendered from it by
:func:`render_markdown` (a test keeps the two in step).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlp.core.errors import ConfigError
from nlp.resources import resource_path

__all__ = ["CODEBOOK_FILE", "Category", "Codebook", "load_codebook", "render_markdown"]

CODEBOOK_FILE = "codebook.json"


@dataclass(frozen=True)
class Category:
    """One policy category of the codebook."""

    id: str
    zh: str
    en: str
    definition: str
    typical_terms: tuple[str, ...]
    hard_cases: tuple[str, ...]


@dataclass(frozen=True)
class Codebook:
    """All categories in their canonical order, plus coding rules.

    Examples
    --------
    >>> codebook = load_codebook()
    >>> codebook.ids[:3], codebook["epidemic"].zh
    (('party_building', 'epidemic', 'poverty'), '疫情防控')
    """

    version: str
    title: str
    unit: str
    categories: tuple[Category, ...]
    rules: tuple[str, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def __getitem__(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        raise KeyError(category_id)

    def label_names(self, language: str = "zh") -> dict[str, str]:
        """Category id → display name (``"zh"``, ``"en"`` or ``"both"`` as 中文 (English))."""
        names = {}
        for c in self.categories:
            names[c.id] = {"zh": c.zh, "en": c.en}.get(language, f"{c.zh} ({c.en})")
        return names


def _parse(data: dict, source: str) -> Codebook:
    try:
        categories = tuple(
            Category(
                id=c["id"],
                zh=c["zh"],
                en=c["en"],
                definition=c["definition"],
                typical_terms=tuple(c["typical_terms"]),
                hard_cases=tuple(c.get("hard_cases", ())),
            )
            for c in data["categories"]
        )
        codebook = Codebook(data["version"], data["title"], data["unit"], categories, tuple(data.get("rules", ())))
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{source}: codebook entry is missing field {exc}") from exc
    if len(set(codebook.ids)) != len(codebook.ids):
        raise ConfigError(f"{source}: category ids are not unique")
    return codebook


@lru_cache(maxsize=4)
def load_codebook(path: str | None = None) -> Codebook:
    """Load the packaged codebook, or a JSON file of the same shape."""
    source = Path(path) if path else resource_path(CODEBOOK_FILE)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read codebook ({exc})") from exc
    return _parse(data, str(source))


def render_markdown(codebook: Codebook) -> str:
    """The codebook as a Markdown document (the content of ``CODEBOOK.md``)."""
    lines = [
        f"# {codebook.title}",
        "",
        f"Codebook version {codebook.version}. {codebook.unit}",
        "",
        "This file is generated from `codebook.json` by `nlp.classify.codebook.render_markdown`; edit the JSON.",
        "",
        "| id | 中文 | English |",
        "|---|---|---|",
        *(f"| `{c.id}` | {c.zh} | {c.en} |" for c in codebook.categories),
        "",
        "## Coding rules",
        "",
        *(f"{i}. {rule}" for i, rule in enumerate(codebook.rules, 1)),
    ]
    for c in codebook.categories:
        terms = "、".join(c.typical_terms)
        lines += ["", f"## `{c.id}` — {c.zh} ({c.en})", "", c.definition, "", f"Typical terms: {terms}"]
        if c.hard_cases:
            lines += ["", "Hard cases:", "", *(f"- {case}" for case in c.hard_cases)]
    return "\n".join(lines) + "\n"
