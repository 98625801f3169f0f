"""The adversarial input matrix (issue 11): every case ends as expected, and nothing the user had is lost.

The cases live in ``tests/bad_input_cases.py`` (one table: input, expected
exit code, message fragment); ``benchmarks/bad_input_matrix.py`` prints
the same matrix as counts, for comparing checkouts.
"""

import sys

import pytest

from .bad_input_cases import CASES, KINDS, Case, Outcome, _judge, make_shared, run_case

LINUX_ONLY = {"no_override", "fsize", "as", "stdout_full"}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    return make_shared(tmp_path_factory.mktemp("bad-input"))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case_ends_as_expected_and_loses_nothing(case, shared, tmp_path):
    if LINUX_ONLY & set(case.limits) and not sys.platform.startswith("linux"):
        pytest.skip("needs Linux resource limits, capabilities or /dev/full")
    outcome = run_case(case, tmp_path / "case", shared)
    assert outcome.verdict == "ok", f"{outcome.reason}\nstderr: {outcome.stderr[-1500:]}\n{outcome.error[-3000:]}"


def test_the_matrix_covers_every_kind_with_unique_ids():
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.kind for case in CASES} == set(KINDS)


@pytest.mark.parametrize(
    ("outcome", "before", "after", "verdict"),
    [
        (Outcome(code=2, stderr="error: x.txt: nope\n"), {"a": ("file", "1")}, {"a": ("file", "1")}, "ok"),
        (Outcome(code=2, stderr="error: x.txt: nope\n"), {"a": ("file", "1")}, {}, "data lost"),
        (Outcome(code=2, stderr="error: x.txt: nope\n"), {}, {".x.tmp-1": ("dir", None)}, "silently wrong"),
        (Outcome(code=0), {}, {}, "silently wrong"),
        (Outcome(code=2, stderr="usage: …\nerror: x.txt: nope\n"), {}, {}, "silently wrong"),
        (Outcome(error="Traceback …\nValueError: boom"), {}, {}, "traceback"),
    ],
)
def test_the_judge_tells_failures_apart(outcome, before, after, verdict, tmp_path):
    case = Case("demo", "traceback", ("corpus",), fragment="x.txt")
    _judge(case, outcome, before, after, tmp_path)
    assert outcome.verdict == verdict
