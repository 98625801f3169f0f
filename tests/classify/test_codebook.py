from nlp.classify.codebook import load_codebook, render_markdown
from nlp.resources import resource_path

ISSUE_CATEGORIES = [
    "party_building",
    "epidemic",
    "poverty",
    "economy",
    "infrastructure",
    "environment",
    "welfare",
    "governance",
    "general",
]


def test_codebook_has_the_nine_categories_complete():
    codebook = load_codebook()
    assert list(codebook.ids) == ISSUE_CATEGORIES
    for category in codebook.categories:
        assert category.zh and category.en and len(category.definition) > 50
        assert len(category.typical_terms) >= 10
        assert len(set(category.typical_terms)) == len(category.typical_terms)
    assert codebook["poverty"].zh == "脱贫攻坚与巩固衔接"
    assert codebook.version


def test_codebook_settles_the_hard_cases():
    codebook = load_codebook()
    text = " ".join([*codebook.rules, *(h for c in codebook.categories for h in c.hard_cases)])
    assert "several areas with no dominant one is general" in text
    assert "Income for poor households through an industry is poverty; the industry alone is economy" in text
    assert "Safety production is governance" in text
    assert "decided by its heading" in text


def test_codebook_markdown_is_rendered_from_the_json():
    committed = resource_path("CODEBOOK.md").read_text(encoding="utf-8")
    assert committed == render_markdown(load_codebook()), (
        "regenerate CODEBOOK.md with nlp.classify.codebook.render_markdown"
    )
