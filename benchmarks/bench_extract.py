"""Extraction time per MB for each report format, on the seed reports rendered to HTML, PDF and Word.

Renders the five seed reports to each format (as ``tests/render.py`` does for
the tests), times :func:`nlp.text.reading.read_report` on every file ``--repeat``
times, and prints and writes ``results/benchmarks/extract.json``: seconds per
MB of input file and per MB of extracted text, and whether each rendering
yields the same sentences as the ``.txt`` reading.

    python -m pip install -e ".[test]" && python benchmarks/bench_extract.py
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.text.corpus import parse_report  # noqa: E402
from nlp.text.reading import read_report  # noqa: E402
from tests.render import render_docx, render_html, render_pdf  # noqa: E402

RENDERERS = {"txt": None, "html": render_html, "pdf": render_pdf, "docx": render_docx}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="reads of every file (default 20)")
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmarks" / "extract.json"))
    args = parser.parse_args(argv)
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    results: dict = {"repeat": args.repeat, "formats": {}, "equal_sentences": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, render in RENDERERS.items():
            files = [render(s, Path(tmp) / f"{s.stem}.{fmt}") if render else s for s in seeds]
            read_report(files[0])  # import the format's library outside the timing
            size = sum(f.stat().st_size for f in files)
            start = time.perf_counter()
            for _ in range(args.repeat):
                chars = sum(len(read_report(f).text.encode("utf-8")) for f in files)
            seconds = (time.perf_counter() - start) / args.repeat
            results["formats"][fmt] = {
                "files": len(files),
                "input_mb": round(size / 1e6, 4),
                "seconds": round(seconds, 4),
                "seconds_per_input_mb": round(seconds / (size / 1e6), 3),
                "seconds_per_text_mb": round(seconds / (chars / 1e6), 3),
            }
            if render:
                results["equal_sentences"][fmt] = {
                    s.stem: [x.text for x in parse_report(f).sentences] == [x.text for x in parse_report(s).sentences]
                    for s, f in zip(seeds, files, strict=True)
                }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("format  input MB  s/input MB  s/text MB  same sentences as .txt")
    for fmt, row in results["formats"].items():
        same = results["equal_sentences"].get(fmt)
        verdict = "-" if same is None else f"{sum(same.values())}/{len(same)}"
        print(
            f"{fmt:6}  {row['input_mb']:8.3f}  {row['seconds_per_input_mb']:10.3f}  "
            f"{row['seconds_per_text_mb']:9.3f}  {verdict}"
        )
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
