"""Run the adversarial input matrix of issue 11 and print how each case ended.

Usage: ``python benchmarks/bad_input_matrix.py [--verbose] [--only ID ...]``

Counts cases by verdict (ok, traceback, data lost, silently wrong) overall
and per kind of finding.  The package imported is whichever ``nlp`` comes
first on ``PYTHONPATH``, so the same matrix can be run against an older
checkout (``PYTHONPATH=/path/to/old/checkout``) to compare before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path


def _cases_module():
    """``tests/bad_input_cases.py`` of this checkout, loaded by path: ``nlp`` itself comes from PYTHONPATH."""
    path = Path(__file__).resolve().parent.parent / "tests" / "bad_input_cases.py"
    spec = importlib.util.spec_from_file_location("bad_input_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every case with its reason")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run only these cases")
    args = parser.parse_args(argv)
    import nlp

    cases = _cases_module()
    CASES, KINDS, VERDICTS = cases.CASES, cases.KINDS, cases.VERDICTS
    make_shared, run_case = cases.make_shared, cases.run_case

    print(f"nlp from {Path(nlp.__file__).parent}", file=sys.stderr)
    base = Path(tempfile.mkdtemp(prefix="nlp-bad-input-"))
    try:
        shared = make_shared(base)
        counts: Counter = Counter()
        for case in CASES:
            if args.only and case.id not in args.only:
                continue
            outcome = run_case(case, base / case.id, shared)
            counts[(case.kind, outcome.verdict)] += 1
            if args.verbose or outcome.verdict != "ok":
                print(f"{outcome.verdict:15} {case.kind:10} {case.id}: {outcome.reason}"[:300])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    _print_counts(counts, KINDS, VERDICTS)
    return 0 if all(counts[(k, v)] == 0 for k in KINDS for v in VERDICTS[1:]) else 1


def _print_counts(counts: Counter, kinds, verdicts) -> None:
    KINDS, VERDICTS = kinds, verdicts
    total = sum(counts.values())
    print(f"\n{'kind':10} " + " ".join(f"{v:>15}" for v in VERDICTS))
    for kind in KINDS:
        print(f"{kind:10} " + " ".join(f"{counts[(kind, v)]:>15}" for v in VERDICTS))
    overall = " ".join(f"{sum(counts[(k, v)] for k in KINDS):>15}" for v in VERDICTS)
    print(f"{'all':10} {overall}   ({total} cases)")


if __name__ == "__main__":
    raise SystemExit(main())
