"""``reading._plausible`` counts by runs (C loops); it must judge every text as the per-character version did."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.text.reading import _plausible
from tests.helpers import SEEDS

EXTERNAL_FILES = sorted((SEEDS / "external" / "raw").glob("*.txt"))
SEED_AND_EXTERNAL = sorted(SEEDS.glob("*.txt")) + EXTERNAL_FILES


def reference_plausible(text: str, common: bool = True) -> bool:
    """``_plausible`` as it was: a Counter of every non-ASCII character."""

    def is_chinese(ch):
        return (
            "\u4e00" <= ch <= "\u9fff"
            or "\u3000" <= ch <= "\u303f"
            or "\uff00" <= ch <= "\uffef"
            or ("\u2000" <= ch <= "\u206f")
        )

    def in_gb2312(ch):
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            return False
        return True

    counts = Counter(ch for ch in text if ord(ch) > 127)
    total = sum(counts.values())
    if not total:
        return True
    chinese = sum(n for ch, n in counts.items() if is_chinese(ch))
    if chinese < 0.9 * total or not common:
        return chinese >= 0.9 * total
    han = {ch: n for ch, n in counts.items() if "\u4e00" <= ch <= "\u9fff"}
    common_count = sum(n for ch, n in han.items() if in_gb2312(ch))
    return common_count >= 0.9 * sum(han.values())


def _misread(text: str) -> list[str]:
    """``text`` encoded one way and decoded another: what a wrong guess of the encoding gives."""
    found = []
    for encoding in ("gbk", "big5", "utf-8", "shift_jis"):
        data = text.encode(encoding, "ignore")
        for other in ("gbk", "gb18030", "big5", "latin-1", "utf-8", "shift_jis", "cp1252"):
            found.append(data.decode(other, "replace"))
    return found


TRICKY = [
    "",
    "ascii only, no Chinese at all\n",
    "かなとカタカナだけ",
    "Café déjà vu, naïve señor",
    "乡镇工作总结" * 3 + "かな",  # 18 Han characters, 2 kana: exactly 90% Chinese
    "乡镇工作总结" * 3 + "かなか",  # just under 90%
    "鄉鎮工作總結，鞏固脫貧攻堅成果",  # traditional: Han, but outside GB2312
    "“全面推进”——乡村振兴…２０２１年（一）【正文】",  # punctuation ranges and full-width forms
    "\u3000\u303f\uff00\uffef\u2000\u206f\u4e00\u9fff\u2070\u3040\u4dff\ua000",  # range edges, in and out
    "\ud800\udfff乡",  # lone surrogates (surrogateescape file names)
    "\x80\x9f\xa0\xff",  # C1 controls and Latin-1
    "𠀀𪚥乡镇",  # astral Han (CJK extension B): not counted as Chinese
]


@pytest.mark.parametrize("common", [True, False])
def test_plausible_agrees_with_the_per_character_count(common):
    texts = list(TRICKY)
    for path in SEED_AND_EXTERNAL:
        text = path.read_text("utf-8")
        texts += [text, *text.split("\n"), *_misread(text)]
    assert len(EXTERNAL_FILES) > 50
    for text in texts:
        assert _plausible(text, common) == reference_plausible(text, common), text[:80]


# the edges of every range, characters in and out of GB2312, astral characters and lone surrogates
EDGE_CHARACTERS = "a\x7f\x80é\u1fff\u2000“\u206f\u2070\u2fff\u3000。\u303f\u3040か\u4dff\u4e00乡鄉\u9fa5\u9fff\ua000"
EDGE_CHARACTERS += "\ufeff\uff00，\uffef\ufff0\U00020000\ud800\udfff"


# mostly Chinese with a few others, so that texts fall on both sides of the 90% shares
_MOSTLY_CHINESE = st.tuples(
    st.text(alphabet="乡镇鄉鎮“。，\u4e00\u9fff\u3000\u303f\uff00\uffef\u2000\u206f", min_size=5, max_size=40),
    st.text(alphabet=EDGE_CHARACTERS, max_size=4),
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(alphabet=EDGE_CHARACTERS, max_size=30), _MOSTLY_CHINESE), st.booleans())
def test_plausible_agrees_on_made_up_text(text, common):
    assert _plausible(text, common) == reference_plausible(text, common)
