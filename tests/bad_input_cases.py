"""The adversarial input matrix of issue 11: bad input, misuse, full disks, interrupted runs, tampered models.

Each :class:`Case` is one thing a hostile or careless user does, with what
must happen: the exit code, a fragment of the one-line error, and, always,
that every file the user had before is unchanged and that a failed run
leaves nothing behind.  :func:`run_case` runs a case and returns an
:class:`Outcome` whose ``verdict`` is one of

* ``ok``: as expected;
* ``traceback``: an exception escaped (a bug, not a one-line error);
* ``data lost``: a file or folder the user had was changed, replaced or removed;
* ``silently wrong``: wrong exit code, wrong or missing message, a wrong
  result, or leftovers of a failed run.

``tests/test_bad_input.py`` asserts every case is ``ok``;
``benchmarks/bad_input_matrix.py`` prints the counts, e.g. against an older
checkout to compare.  Most cases run ``nlp.cli.main`` in this process (fast);
those that need a real process (resource limits, signals, another user, a
full device) run ``python -m nlp`` in a subprocess.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# the cases run in their own folder, which has no seeds/: training is given the shipped labels
SEED_LABELS = str(SEEDS / "labels.csv")
SEED_A = SEEDS / "002_d4881d4d3e281476.txt"
SEED_B = SEEDS / "004_c3f136531b316134.txt"
VERDICTS = ("ok", "traceback", "data lost", "silently wrong")
#: What the issue's list calls each case: the kind of failure it was found as.
KINDS = ("data", "traceback", "wrong", "model")

TRAD_REPORT = (
    "某鄉鎮人民政府2021年工作總結\n一、過去一年的工作\n全面推進鄉村振興，鞏固脫貧攻堅成果，加強黨的建設。\n"
    "改善農村人居環境，發展特色產業，群眾收入穩步增長。\n二、明年的工作計劃\n繼續做好疫情防控和安全生產工作。\n"
)
ASCII_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Shared:
    """Things every case may use: a trained model and a scratch area outside the case folders."""

    base: Path
    model: Path


@dataclass(frozen=True)
class Case:
    """One row of the matrix.

    ``argv`` may use ``{w}`` (the case folder), ``{model}`` and names that
    ``setup`` returns.  ``func`` cases call a function instead of the command
    line; it returns ``None`` when the behaviour is right, else the reason.
    """

    id: str
    kind: str
    argv: tuple[str, ...] = ()
    code: int = 2
    fragment: str = ""
    setup: Callable[[Path, Shared], dict] | None = None
    check: Callable[[Outcome, Path], str | None] | None = None
    func: Callable[[Path, Shared], str | None] | None = None
    entry: str = "nlp"  # or "experiment:NAME"
    stdin: bytes | str | None = None  # "closed" for a closed standard input
    mode: str = "inproc"  # or "subprocess"
    limits: dict = field(default_factory=dict)  # subprocess: fsize, as, no_override, stdout_full, sigint_after
    may_change: tuple[str, ...] = ()  # paths (relative to the case folder) the command may replace
    cwd: str = ""  # relative to the case folder


@dataclass
class Outcome:
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str = ""  # a traceback that escaped, if any
    verdict: str = "ok"
    reason: str = ""


# --- helpers ------------------------------------------------------------------------------------------------


def _reports(w: Path, *sources: Path, name: str = "reports") -> Path:
    folder = w / name
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources or (SEED_A, SEED_B):
        shutil.copy(source, folder / source.name)
    return folder


def _default(w: Path, shared: Shared) -> dict:
    _reports(w)
    return {}


def _snapshot(root: Path) -> dict[str, tuple]:
    """Type and content hash of every path below ``root`` (symlinks not followed)."""
    found = {}
    base = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.fsdecode(os.path.relpath(full, base))
            if "__pycache__" in rel:
                continue
            mode = os.lstat(full).st_mode
            if stat.S_ISREG(mode):
                with open(full, "rb") as fh:
                    found[rel] = ("file", hashlib.sha256(fh.read()).hexdigest())
            elif stat.S_ISLNK(mode):
                found[rel] = ("link", os.readlink(full))
            else:
                found[rel] = ("dir" if stat.S_ISDIR(mode) else "special", None)
    return found


def _covered(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def _lines(text: str) -> list[str]:
    """Non-empty lines of standard error, without progress-bar redraws."""
    return [line for line in text.splitlines() if line.strip() and "%|" not in line]


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- running ------------------------------------------------------------------------------------------------


def _format_argv(case: Case, w: Path, shared: Shared, extra: dict) -> list[str]:
    values = {"w": str(w), "model": str(shared.model), **extra}
    return [a.format(**values) for a in case.argv]


def _entry_point(case: Case) -> Callable[[list[str]], int]:
    if case.entry == "nlp":
        from nlp.cli import main

        return main
    from nlp.experiments import script_main

    name = case.entry.split(":", 1)[1]
    return lambda argv: script_main(name, argv)


def _stdin_stream(stdin):
    if stdin == "closed":
        return None
    data = stdin.encode("utf-8") if isinstance(stdin, str) else (stdin or b"")
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")


class Hung(Exception):
    """A case ran past its time limit (e.g. blocked opening a FIFO)."""


def _alarm(signum, frame):
    raise Hung(f"still running after {INPROC_TIMEOUT} s")


#: Seconds an in-process case may take; a run blocked on a FIFO is stopped and counted as wrong.
INPROC_TIMEOUT = 120


def _run_inproc(case: Case, argv: list[str], cwd: Path) -> Outcome:
    outcome = Outcome()
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, os.getcwd(), signal.signal(signal.SIGALRM, _alarm)
    sys.stdin = _stdin_stream(case.stdin)
    os.chdir(cwd)
    signal.alarm(INPROC_TIMEOUT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                outcome.code = _entry_point(case)(argv)
            except SystemExit as exc:
                outcome.code = exc.code if isinstance(exc.code, int) else 2
    except Hung as exc:
        outcome.code, outcome.stderr = None, f"hung: {exc}"
    except BaseException:  # anything escaping the command line is the finding
        outcome.error = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, saved[2])
        sys.stdin = saved[0]
        os.chdir(saved[1])
    outcome.stdout, outcome.stderr = out.getvalue(), outcome.stderr or err.getvalue()
    return outcome


def _preexec(limits: dict):
    def setup():
        if "fsize" in limits:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
        if "as" in limits:
            resource.setrlimit(resource.RLIMIT_AS, (limits["as"], limits["as"]))
        if limits.get("no_override") and os.geteuid() == 0:
            _drop_permission_override()
        if "sigint_after" in limits:
            # a shell's background job ignores SIGINT and its children inherit that; a user's run does not
            signal.signal(signal.SIGINT, signal.SIG_DFL)

    return setup


def _drop_permission_override() -> None:
    """Make root obey file permissions: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH before exec."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _command(case: Case, argv: list[str]) -> list[str]:
    if case.entry == "nlp":
        return [sys.executable, "-m", "nlp", *argv]
    name = case.entry.split(":", 1)[1]
    return [sys.executable, str(ROOT / "experiments" / f"{name}.py"), *argv]


def _run_subprocess(case: Case, argv: list[str], cwd: Path, shared: Shared) -> Outcome:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    package_root = Path(__import__("nlp").__file__).parent.parent  # the nlp under test, in the child too
    env["PYTHONPATH"] = os.pathsep.join([str(package_root), env.get("PYTHONPATH", "")])
    stdout = open(os.devnull if not case.limits.get("stdout_full") else "/dev/full", "w")  # noqa: SIM115
    stdin = subprocess.DEVNULL if case.stdin is None else subprocess.PIPE
    with stdout:
        stdout_arg = stdout if case.limits.get("stdout_full") else subprocess.PIPE
        proc = subprocess.Popen(
            _command(case, argv),
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=stdout_arg,
            stderr=subprocess.PIPE,
            preexec_fn=_preexec(case.limits),
        )
        if "sigint_after" in case.limits:
            out, err = _interrupt(proc, case.limits["sigint_after"])
        else:
            try:
                out, err = proc.communicate(input=case.stdin if isinstance(case.stdin, bytes) else None, timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                err += b"\nhung: still running after 300 s"
    outcome = Outcome(code=proc.returncode, stdout=(out or b"").decode("utf-8", "replace"))
    outcome.stderr = err.decode("utf-8", "replace")
    if "Traceback (most recent call last)" in outcome.stderr:
        outcome.error = outcome.stderr
    return outcome


def _interrupt(proc: subprocess.Popen, marker: str) -> tuple[bytes, bytes]:
    """Send SIGINT once ``marker`` shows on standard error (the run is under way), then collect the output."""
    seen = b""
    deadline = time.monotonic() + 120
    while marker.encode() not in seen and time.monotonic() < deadline and proc.poll() is None:
        chunk = os.read(proc.stderr.fileno(), 256)
        if not chunk:
            break
        seen += chunk
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return out, seen + err


def _judge(case: Case, outcome: Outcome, before: dict, after: dict, w: Path) -> None:
    if outcome.error:
        outcome.verdict, outcome.reason = "traceback", outcome.error.strip().splitlines()[-1]
        return
    changed = [p for p, v in before.items() if after.get(p) != v and not _covered(p, case.may_change)]
    if changed:
        outcome.verdict, outcome.reason = "data lost", f"changed or removed: {', '.join(sorted(changed)[:3])}"
        return
    if outcome.code != case.code:
        outcome.verdict = "silently wrong"
        outcome.reason = f"exit {outcome.code}, expected {case.code}: {_lines(outcome.stderr)[-1:]}"
        return
    if case.code != 0:
        lines = _lines(outcome.stderr)
        if len(lines) != 1 or not lines[0].startswith("error: ") or case.fragment not in lines[0]:
            outcome.verdict, outcome.reason = "silently wrong", f"message {lines[-2:]!r}, wanted {case.fragment!r}"
            return
        leftovers = sorted(set(after) - set(before))
        if leftovers:
            outcome.verdict, outcome.reason = "silently wrong", f"a failed run left {leftovers[:3]}"
            return
    if case.check is not None:
        reason = case.check(outcome, w)
        if reason:
            outcome.verdict, outcome.reason = "silently wrong", reason


def run_case(case: Case, w: Path, shared: Shared) -> Outcome:
    """Set up ``w``, run the case in it, and judge the result."""
    w.mkdir(parents=True, exist_ok=True)
    os.chmod(w, 0o755)
    if case.func is not None:
        try:
            reason = case.func(w, shared)
        except BaseException:
            return Outcome(error=traceback.format_exc(), verdict="traceback", reason="exception escaped")
        verdict = "ok" if reason is None else reason.split(":", 1)[0]
        return Outcome(verdict=verdict if verdict in VERDICTS else "silently wrong", reason=reason or "")
    extra = (case.setup or _default)(w, shared) or {}
    argv = _format_argv(case, w, shared, extra)
    before = _snapshot(w)
    cwd = w / case.cwd if case.cwd else w
    subprocess_run = case.mode == "subprocess"
    outcome = _run_subprocess(case, argv, cwd, shared) if subprocess_run else _run_inproc(case, argv, cwd)
    _judge(case, outcome, before, _snapshot(w), w)
    return outcome


def make_shared(base: Path) -> Shared:
    """Train the model every case uses (two seed reports, no evaluation: a few seconds)."""
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)
    model = base / "shared" / "model.skops"
    model.parent.mkdir(exist_ok=True)
    os.chmod(model.parent, 0o755)
    from nlp.classify.persist import save_classifier
    from nlp.classify.training import train_classifier
    from nlp.text.corpus import load_corpus

    classifier = train_classifier(load_corpus([SEED_A, SEED_B]), model="cnb", evaluate=False)
    save_classifier(classifier, model)
    return Shared(base=base, model=model)


# --- set-ups and checks -------------------------------------------------------------------------------------


def _with_file(name: str, data: bytes | str, also_reports: bool = True):
    def setup(w: Path, shared: Shared) -> dict:
        if also_reports:
            _reports(w)
        path = w / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return {}

    return setup


def _with_dir(name: str):
    def setup(w: Path, shared: Shared) -> dict:
        _reports(w)
        (w / name).mkdir()
        return {}

    return setup


def _labels_subset(*report_ids: str) -> str:
    lines = (SEEDS / "labels.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    return lines[0] + "".join(line for line in lines[1:] if line.split(",", 1)[0] in report_ids)


def _gbk_labels(w: Path, shared: Shared) -> dict:
    _reports(w)
    (w / "labels.csv").write_bytes(_labels_subset(SEED_A.stem, SEED_B.stem).encode("gb18030"))
    return {}


def _fifo(name: str, folder: bool = False):
    def setup(w: Path, shared: Shared) -> dict:
        _reports(w)
        os.mkfifo(w / name)
        return {}

    return setup


def _previous_results(w: Path, shared: Shared) -> dict:
    _reports(w)
    prev = w / "prev"
    prev.mkdir()
    manifest = {"experiment": "prev", "package_version": "0", "data_sha256": {}}
    (prev / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (prev / "old_table.csv").write_text("a\n1\n", encoding="utf-8")
    return {}


def _foreign_folder(w: Path, shared: Shared) -> dict:
    _reports(w)
    (w / "thesis").mkdir()
    (w / "thesis" / "chapter1.md").write_text("我的论文", encoding="utf-8")
    return {}


def _model_and_card(card_only: bool):
    def setup(w: Path, shared: Shared) -> dict:
        _reports(w)
        (w / "m.card.md").write_text("my notes on the old model", encoding="utf-8")
        if not card_only:
            shutil.copy(shared.model, w / "m.skops")
        return {}

    return setup


def _unreadable_folder(w: Path, shared: Shared) -> dict:
    folder = _reports(w, name="locked")
    os.chmod(folder, 0)
    return {}


def _readonly_out(w: Path, shared: Shared) -> dict:
    _reports(w)
    os.chmod(w, 0o755)
    (w / "ro").mkdir()
    os.chmod(w / "ro", 0o555)
    return {}


def _gbk_name(w: Path, shared: Shared) -> dict:
    folder = w / "reports"
    folder.mkdir()
    name = "张家镇.txt".encode("gbk")
    with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
        fh.write(SEED_A.read_bytes())
    return {}


def _two_same_names(w: Path, shared: Shared) -> dict:
    for sub, seed in (("a", SEED_A), ("b", SEED_B)):
        (w / sub).mkdir()
        shutil.copy(seed, w / sub / "report.txt")
    return {}


def _hidden_file(w: Path, shared: Shared) -> dict:
    folder = _reports(w, SEED_A)
    shutil.copy(SEED_B, folder / ".copy.txt")
    return {}


def _mixed_gbk(w: Path, shared: Shared) -> dict:
    lines = SEED_A.read_text(encoding="utf-8").splitlines(keepends=True)
    data = "".join(lines[:6]).encode("gbk") + lines[6].encode("utf-8") + "".join(lines[7:]).encode("gbk")
    (w / "mixed.txt").write_bytes(data)
    return {"line": lines[6].strip()}


def _zero_width(w: Path, shared: Shared) -> dict:
    # a joiner pasted in front of every line, as some web editors leave it
    text = "".join("\u200d" + line for line in SEED_A.read_text(encoding="utf-8").splitlines(keepends=True))
    (w / "zwj.txt").write_text(text, encoding="utf-8")
    shutil.copy(SEED_A, w / "clean.txt")
    return {}


def _symlink_loop(w: Path, shared: Shared) -> dict:
    _reports(w)
    os.symlink(w / "loop_b.txt", w / "loop_a.txt")
    os.symlink(w / "loop_a.txt", w / "loop_b.txt")
    return {}


def _model_with(**params):
    """A model of allowed types only, whose tokenizers have ``params`` (e.g. a dictionary outside the package)."""

    def setup(w: Path, shared: Shared) -> dict:
        import skops.io as sio

        _reports(w)
        model = sio.load(shared.model, trusted=sio.get_untrusted_types(file=shared.model))
        for tokenizer in _tokenizers(model, set()):
            for key, value in params.items():
                setattr(tokenizer, key, value)
        sio.dump(model, w / "tampered.skops")
        return {}

    return setup


def _tokenizers(obj, seen: set[int]):
    """Every tokenizer inside a model (the walk is this file's own, so the matrix also runs on old checkouts)."""
    from nlp.text.tokenize import JiebaTokenizer

    if id(obj) in seen or isinstance(obj, str | bytes | int | float):
        return
    seen.add(id(obj))
    if isinstance(obj, JiebaTokenizer):
        yield obj
        return
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, list | tuple):
        children = list(obj)
    else:
        children = list(getattr(obj, "__dict__", {}).values())
    for child in children:
        yield from _tokenizers(child, seen)


def _padded_model(w: Path, shared: Shared) -> dict:
    _reports(w)
    with zipfile.ZipFile(shared.model) as src, zipfile.ZipFile(w / "padded.skops", "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "schema.json":
                data = data.rstrip()[:-1] + b" " * (100 * 2**20) + b"}"  # valid JSON, 100 MB unpacked
            dst.writestr(info.filename, data)
    return {}


def _stdin_report() -> bytes:
    return SEED_A.read_bytes()


def _no_headings(w: Path, shared: Shared) -> dict:
    folder = w / "plain"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "某镇2020年工作总结\n今年完成道路建设任务。今年完成桥梁建设任务。今年完成水利建设任务。\n", encoding="utf-8"
    )
    (folder / "b.txt").write_text("某镇2021年工作总结\n群众满意度提升明显。\n", encoding="utf-8")
    rows = [
        "report_id,index,label,text",
        "a,0,infrastructure,今年完成道路建设任务。",
        "a,1,infrastructure,今年完成桥梁建设任务。",
        "a,2,infrastructure,今年完成水利建设任务。",
        "b,0,general,群众满意度提升明显。",
    ]
    (w / "plain_labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {}


def _config(text: bytes | str, many: int = 0):
    def setup(w: Path, shared: Shared) -> dict:
        folder = _reports(w, SEED_A)
        for n in range(many):  # enough reports that the run is still going when interrupted
            shutil.copy(SEED_A, folder / f"copy_{n:03d}.txt")
        data = text.encode("utf-8") if isinstance(text, str) else text
        (w / "config.toml").write_bytes(data.replace(b"REPORTS", str(folder).encode()))
        prev = w / "results" / "corpus_stats"
        prev.mkdir(parents=True)
        (prev / "metrics.json").write_text('{"previous": true}', encoding="utf-8")
        return {}

    return setup


def _exported_text(outcome: Outcome, w: Path) -> str:
    return (w / "out.csv").read_text(encoding="utf-8") if (w / "out.csv").is_file() else ""


def _han_run(line: str) -> str:
    """The longest run of Han characters of ``line``: text that cleaning leaves as it is."""
    return max(re.findall("[\u4e00-\u9fff]+", line), key=len)


def _check_mixed(outcome: Outcome, w: Path) -> str | None:
    wanted = _han_run(SEED_A.read_text(encoding="utf-8").splitlines()[6])
    return None if wanted in _exported_text(outcome, w) else f"the UTF-8 line was not decoded: {wanted!r} missing"


def _check_headings(outcome: Outcome, w: Path) -> str | None:
    rows = [line.split(",") for line in _exported_text(outcome, w).splitlines()[1:]]
    headings = {}
    for row in rows:
        if len(row) > 7 and row[7] == "True":
            headings[row[0]] = headings.get(row[0], 0) + 1
    if headings.get("zwj") != headings.get("clean"):
        return f"headings found: {headings.get('zwj')} with zero-width joiners, {headings.get('clean')} without"
    return None


def _check_decoded(wanted: str):
    def check(outcome: Outcome, w: Path) -> str | None:
        return None if wanted in _exported_text(outcome, w) else f"{wanted!r} not in the decoded export"

    return check


def _check_manifest(count: int, analysed: int, names: tuple[str, ...] = ()):
    """The manifest records ``count`` input files (``names`` among them) and the table shows ``analysed`` reports."""

    def check(outcome: Outcome, w: Path) -> str | None:
        manifest = json.loads((w / "out" / "manifest.json").read_text(encoding="utf-8"))
        hashes = manifest["data_sha256"]
        if len(hashes) != count:
            return f"manifest records {len(hashes)} input files, expected {count}: {sorted(hashes)}"
        if not all(any(n in k for k in hashes) for n in names):
            return f"manifest keys {sorted(hashes)} miss {names}"
        rows = outcome.stdout.count("\n| ")  # data rows of the Markdown table (the header is the first line)
        return None if rows == analysed else f"{rows} reports analysed, {analysed} expected"

    return check


def _check_utf8_stdout(outcome: Outcome, w: Path) -> str | None:
    return None if _utf8(outcome.stdout) else "standard output is not valid UTF-8 (a file name's raw bytes)"


def _check_gbk_name_export(outcome: Outcome, w: Path) -> str | None:
    text = _exported_text(outcome, w)
    return None if "张家镇" in text else "the report id is not the decoded file name"


def _check_results(outcome: Outcome, w: Path) -> str | None:
    return None if (w / "out" / "manifest.json").is_file() else "no results written"


def _check_prev_replaced(outcome: Outcome, w: Path) -> str | None:
    return None if not (w / "prev" / "old_table.csv").exists() else "previous results were not replaced"


# --- func cases (the API under faults that the command line cannot stage) ------------------------------------


def _kill_between_renames(w: Path, shared: Shared) -> str | None:
    """A kill while results are being replaced must leave the old or the new folder in place."""
    from unittest import mock

    import nlp.io.results as results

    root = w / "results"
    with results.ResultsDir("exp", root=root) as out:
        out.write_json("metrics.json", {"run": 1})
    real_replace = os.replace

    def dying_replace(src, dst):
        if Path(src).name.startswith(".exp.tmp-"):
            raise KeyboardInterrupt  # stands for SIGKILL after the old folder was set aside, before the new is in
        real_replace(src, dst)

    patches = [mock.patch.object(results.os, "replace", dying_replace)]
    if hasattr(results, "_exchange"):  # also without renameat2: the fallback must recover at the next start
        patches.append(mock.patch.object(results, "_exchange", lambda a, b: False))
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        with contextlib.suppress(KeyboardInterrupt), results.ResultsDir("exp", root=root) as out:
            out.write_json("metrics.json", {"run": 2})
    with contextlib.suppress(Exception), results.ResultsDir("exp", root=root) as out:  # the next start
        raise RuntimeError("the next run fails too")
    final = root / "exp" / "metrics.json"
    if not final.is_file():
        return f"data lost: no results/exp after the kill, only {sorted(p.name for p in root.iterdir())}"
    leftovers = [p.name for p in root.iterdir() if p.name != "exp"]
    return f"silently wrong: leftovers {leftovers}" if leftovers else None


def _stale_leftovers(w: Path, shared: Shared) -> str | None:
    """Folders of killed runs (dead pids) are recovered or removed at the next start."""
    import nlp.io.results as results

    root = w / "results"
    dead = _dead_pid()
    (root / f".exp.old-{dead}").mkdir(parents=True)
    (root / f".exp.old-{dead}" / "metrics.json").write_text('{"run": 1}', encoding="utf-8")
    (root / f".exp.tmp-{dead}").mkdir()
    with contextlib.suppress(RuntimeError), results.ResultsDir("exp", root=root):
        raise RuntimeError("interrupted again")
    if not (root / "exp" / "metrics.json").is_file():
        return "data lost: the set-aside results were not restored"
    names = sorted(p.name for p in root.iterdir())
    return None if names == ["exp"] else f"silently wrong: leftovers {names}"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _concurrent_save(w: Path, shared: Shared) -> str | None:
    """Two runs save to the same path without --force: the second must fail, not replace the first's model."""
    from unittest import mock

    import skops.io as sio

    from nlp.classify.persist import load_classifier, save_classifier
    from nlp.core.errors import NlpError

    classifier = load_classifier(shared.model)
    target = w / "m.skops"
    real_dump = sio.dump

    def dump_while_other_finishes(obj, file, **kwargs):
        target.write_bytes(b"the other run's model")  # the concurrent run finishes first
        return real_dump(obj, file, **kwargs)

    with mock.patch.object(sio, "dump", dump_while_other_finishes):
        try:
            save_classifier(classifier, target)
        except NlpError:
            pass
        else:
            return "data lost: both runs reported success; the other run's model was replaced"
    return None if target.read_bytes() == b"the other run's model" else "data lost: the other run's model was replaced"


def _concurrent_results(w: Path, shared: Shared) -> str | None:
    """Two runs writing the same results folder at once: one wins, the other fails clearly."""
    from nlp.core.errors import NlpError
    from nlp.io.results import ResultsDir

    root = w / "results"
    first = ResultsDir("exp", root=root)
    first.__enter__()
    try:
        with ResultsDir("exp", root=root) as second:
            second.write_json("metrics.json", {"run": "second"})
    except NlpError:
        failed = True
    else:
        failed = False
    first.write_json("metrics.json", {"run": "first"})
    first.__exit__(None, None, None)
    written = json.loads((root / "exp" / "metrics.json").read_text(encoding="utf-8"))["run"]
    if not failed:
        return f"silently wrong: both runs succeeded, {written!r} silently won"
    return None if written == "first" else f"data lost: {written!r}"


def _wrong_cache(w: Path, shared: Shared) -> str | None:
    """Cache entries of another shape are misses, not crashes."""
    from nlp.text.cache import TokenCache, warm_tokens
    from nlp.text.corpus import load_corpus, parse_report
    from nlp.text.reading import read_report
    from nlp.text.tokenize import JiebaTokenizer

    cache = TokenCache(w / "cache")
    report = parse_report(SEED_A)
    raw = read_report(SEED_A)
    report_entry = cache._report_path(raw.sha256)
    token_entry = cache._tokens_path(report, JiebaTokenizer())
    for entry, content in ((report_entry, '{"meta": [1, 2], "sections": 3}'), (token_entry, '[["a"], 5]')):
        entry.parent.mkdir(parents=True, exist_ok=True)
        entry.write_text(content, encoding="utf-8")
    loaded = load_corpus([SEED_A], cache=cache)
    warm_tokens(loaded, JiebaTokenizer(), cache)
    token_entry.write_text('{"blocks": [1, 2], "tokens": [null, 3]}', encoding="utf-8")
    warm_tokens(loaded, JiebaTokenizer(), cache)
    return None if [s.text for s in loaded[0].sentences] == [s.text for s in report.sentences] else "wrong report"


# --- the matrix ---------------------------------------------------------------------------------------------

R = "{w}/reports"
CASES: list[Case] = [
    # data lost or overwritten
    Case(
        "attention-out-is-input-folder",
        "data",
        ("attention", R, "--model", "{model}", "--out", R, "--force"),
        fragment="is the input",
    ),
    Case(
        "attention-out-inside-input",
        "data",
        ("attention", R, "--model", "{model}", "--out", R + "/res"),
        fragment="lies inside the input",
    ),
    Case(
        "attention-out-dot-contains-input",
        "data",
        ("attention", "reports", "--model", "{model}", "--out", ".", "--force"),
        fragment="contains the input",
    ),
    Case(
        "attention-out-dotdot",
        "data",
        ("attention", "../reports", "--model", "{model}", "--out", "..", "--force"),
        fragment="contains the input",
        setup=_with_dir("sub"),
        cwd="sub",
    ),
    Case(
        "attention-out-fifo-force",
        "data",
        ("attention", R, "--model", "{model}", "--out", "{w}/pipe", "--force"),
        fragment="not a folder",
        setup=_fifo("pipe"),
    ),
    Case(
        "export-fifo-force",
        "data",
        ("corpus", R, "--export", "{w}/pipe.csv", "--force"),
        fragment="FIFO",
        setup=_fifo("pipe.csv"),
    ),
    Case(
        "attention-out-user-file-force",
        "data",
        ("attention", R, "--model", "{model}", "--out", "{w}/notes.txt", "--force"),
        fragment="not a folder",
        setup=_with_file("notes.txt", "我的笔记"),
    ),
    Case(
        "attention-out-foreign-folder-force",
        "data",
        ("attention", R, "--model", "{model}", "--out", "{w}/thesis", "--force"),
        fragment="not written by nlp",
        setup=_foreign_folder,
    ),
    Case(
        "attention-out-own-results-force",
        "data",
        ("attention", R, "--model", "{model}", "--out", "{w}/prev", "--force"),
        code=0,
        setup=_previous_results,
        may_change=("prev",),
        check=_check_prev_replaced,
    ),
    Case(
        "train-card-exists",
        "data",
        ("train", str(SEED_A), "--labels", SEED_LABELS, "--out", "{w}/m.skops", "--no-eval"),
        fragment="m.card.md already exists",
        setup=_model_and_card(card_only=True),
    ),
    Case(
        "train-force-replaces-both",
        "data",
        (
            "train",
            str(SEED_A),
            "--labels",
            SEED_LABELS,
            "--out",
            "{w}/m.skops",
            "--no-eval",
            "--force",
            "--model",
            "cnb",
        ),
        code=0,
        setup=_model_and_card(card_only=False),
        may_change=("m.skops", "m.card.md"),
    ),
    Case(
        "train-full-disk",
        "data",
        ("train", str(SEED_A), "--labels", SEED_LABELS, "--out", "{w}/m.skops", "--no-eval", "--model", "cnb"),
        fragment="cannot write",
        mode="subprocess",
        limits={"fsize": 100_000},
    ),
    Case("results-kill-between-renames", "data", func=_kill_between_renames),
    Case("results-stale-leftovers", "data", func=_stale_leftovers),
    Case("train-concurrent-same-out", "data", func=_concurrent_save),
    Case("results-concurrent-writers", "data", func=_concurrent_results),
    Case(
        "predict-stdout-full-disk",
        "data",
        ("predict", "--model", "{model}", R),
        fragment="standard output",
        mode="subprocess",
        limits={"stdout_full": True},
    ),
    # tracebacks
    Case(
        "train-labels-gbk",
        "traceback",
        ("train", str(SEED_A), "--labels", "{w}/labels.csv", "--out", "{w}/m.skops", "--no-eval", "--model", "cnb"),
        code=0,
        setup=_gbk_labels,
    ),
    Case(
        "attention-labels-gbk",
        "traceback",
        ("attention", R, "--model", "{model}", "--labels", "{w}/labels.csv"),
        code=0,
        setup=_gbk_labels,
    ),
    Case(
        "attention-labels-binary",
        "traceback",
        ("attention", R, "--model", "{model}", "--labels", "{w}/l.csv"),
        fragment="binary",
        setup=_with_file("l.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20),
    ),
    Case(
        "train-labels-short-rows",
        "traceback",
        ("train", str(SEED_A), "--labels", "{w}/l.csv", "--out", "{w}/m.skops"),
        fragment="too few",
        setup=_with_file("l.csv", "report_id,index,label,text\nx,1\n"),
    ),
    Case(
        "attention-labels-short-rows",
        "traceback",
        ("attention", R, "--model", "{model}", "--labels", "{w}/l.csv"),
        fragment="too few",
        setup=_with_file("l.csv", "report_id,index,label,text\nx\n"),
    ),
    Case(
        "corpus-unreadable-folder",
        "traceback",
        ("corpus", "{w}/locked"),
        fragment="Permission denied",
        setup=_unreadable_folder,
        mode="subprocess",
        limits={"no_override": True},
    ),
    Case(
        "corpus-dev-zero",
        "traceback",
        ("corpus", "/dev/zero"),
        fragment="larger than",
        mode="subprocess",
        limits={"as": 3 * 2**30},
    ),
    Case(
        "predict-closed-stdin",
        "traceback",
        ("predict", "--model", "{model}", "-"),
        fragment="standard input",
        stdin="closed",
    ),
    Case(
        "train-readonly-out-folder",
        "traceback",
        ("train", str(SEED_A), "--labels", SEED_LABELS, "--out", "{w}/ro/m.skops", "--no-eval"),
        fragment="Permission denied",
        setup=_readonly_out,
        mode="subprocess",
        limits={"no_override": True},
    ),
    Case(
        "export-full-disk",
        "traceback",
        ("corpus", R, "--export", "{w}/out.csv"),
        fragment="cannot write",
        mode="subprocess",
        limits={"fsize": 20_000},
    ),
    Case(
        "attention-full-disk",
        "traceback",
        ("attention", R, "--model", "{model}", "--out", "{w}/out"),
        fragment="cannot write",
        mode="subprocess",
        limits={"fsize": 20_000},
    ),
    Case(
        "export-onto-folder",
        "traceback",
        ("corpus", R, "--export", "{w}/dir"),
        fragment="is a folder",
        setup=_with_dir("dir"),
    ),
    Case(
        "export-onto-dot-force",
        "traceback",
        ("corpus", "reports", "--export", ".", "--force"),
        fragment="contains the input",
    ),
    Case(
        "export-onto-other-dot-force",
        "traceback",
        ("corpus", str(SEED_A), "--export", ".", "--force"),
        fragment="is a folder",
    ),
    Case("jobs-negative", "traceback", ("predict", "--model", "{model}", R, "--jobs", "-3"), fragment="--jobs"),
    Case(
        "batch-size-zero",
        "traceback",
        ("predict", "--model", "{model}", R, "--batch-size", "0"),
        fragment="--batch-size",
    ),
    Case(
        "n-bootstrap-zero",
        "traceback",
        ("attention", R, "--model", "{model}", "--n-bootstrap", "0"),
        fragment="--n-bootstrap",
    ),
    Case(
        "scheduler-not-an-address",
        "traceback",
        ("predict", "--model", "{model}", R, "--scheduler", "notanaddress"),
        fragment="notanaddress",
    ),
    Case(
        "gbk-file-name-export",
        "traceback",
        ("corpus", R, "--export", "{w}/out.csv"),
        code=0,
        setup=_gbk_name,
        check=_check_gbk_name_export,
    ),
    Case(
        "gbk-file-name-attention-out",
        "traceback",
        ("attention", R, "--model", "{model}", "--out", "{w}/out"),
        code=0,
        setup=_gbk_name,
        check=_check_manifest(1, 1, ("张家镇",)),
    ),
    Case(
        "gbk-file-name-predict",
        "traceback",
        ("predict", "--model", "{model}", R),
        code=0,
        setup=_gbk_name,
        check=_check_utf8_stdout,
    ),
    Case(
        "attention-stdin-with-out",
        "traceback",
        ("attention", "-", "--model", "{model}", "--out", "{w}/out"),
        code=0,
        stdin=_stdin_report(),
        check=_check_manifest(0, 1),
    ),
    Case(
        "config-wrong-type",
        "traceback",
        ("--config", "{w}/config.toml", "--results", "{w}/results", "--quiet"),
        entry="experiment:corpus_stats",
        fragment="reports = 5",
        setup=_config("reports = 5\n"),
    ),
    Case(
        "config-not-utf8",
        "traceback",
        ("--config", "{w}/config.toml", "--results", "{w}/results", "--quiet"),
        entry="experiment:corpus_stats",
        fragment="not UTF-8",
        setup=_config('# 语料统计\nreports = "REPORTS"\n'.encode("gbk")),
    ),
    Case("cache-wrong-shape", "traceback", func=_wrong_cache),
    Case(
        "model-invalid-tokenizer-settings",
        "traceback",
        ("predict", "--model", "{w}/tampered.skops", R),
        fragment="invalid tokenizer settings",
        setup=_model_with(min_length=-1),
    ),
    Case(
        "experiment-sigint",
        "traceback",
        ("--config", "{w}/config.toml", "--results", "{w}/results"),
        entry="experiment:corpus_stats",
        code=130,
        fragment="interrupted",
        mode="subprocess",
        setup=_config('reports = "REPORTS"\ncache = false\n', many=150),
        limits={"sigint_after": "reading"},
    ),
    Case(
        "train-no-headings",
        "traceback",
        ("train", "{w}/plain", "--labels", "{w}/plain_labels.csv", "--out", "{w}/m.skops", "--no-eval"),
        code=0,
        setup=_no_headings,
    ),
    Case(
        "train-no-headings-eval",
        "traceback",
        ("train", "{w}/plain", "--labels", "{w}/plain_labels.csv", "--out", "{w}/m.skops"),
        code=0,  # the held-out-place evaluation trains on one report and scores the other
        setup=_no_headings,
    ),
    # silently wrong
    Case(
        "gbk-with-one-utf8-line",
        "wrong",
        ("corpus", "{w}/mixed.txt", "--export", "{w}/out.csv"),
        code=0,
        setup=_mixed_gbk,
        check=_check_mixed,
    ),
    Case(
        "zero-width-joiner-in-headings",
        "wrong",
        ("corpus", "{w}/zwj.txt", "{w}/clean.txt", "--export", "{w}/out.csv"),
        code=0,
        setup=_zero_width,
        check=_check_headings,
    ),
    Case(
        "ascii-pdf-renamed-txt",
        "wrong",
        ("corpus", "{w}/doc.txt"),
        fragment="PDF",
        setup=_with_file("doc.txt", ASCII_PDF),
    ),
    Case(
        "same-file-name-twice",
        "wrong",
        ("attention", "{w}/a", "{w}/b", "--model", "{model}", "--out", "{w}/out"),
        code=0,
        setup=_two_same_names,
        check=_check_manifest(2, 2),
    ),
    Case(
        "hidden-file-in-folder",
        "wrong",
        ("attention", R, "--model", "{model}", "--out", "{w}/out"),
        code=0,
        setup=_hidden_file,
        check=_check_manifest(1, 1),
    ),
    Case(
        "utf16-without-bom",
        "wrong",
        ("corpus", "{w}/u16.txt", "--export", "{w}/out.csv"),
        code=0,
        setup=_with_file("u16.txt", SEED_A.read_text(encoding="utf-8").encode("utf-16-le"), also_reports=False),
        check=_check_decoded(_han_run(SEED_A.read_text(encoding="utf-8").splitlines()[6])),
    ),
    Case(
        "big5-report",
        "wrong",
        ("corpus", "{w}/big5.txt", "--export", "{w}/out.csv"),
        code=0,
        setup=_with_file("big5.txt", TRAD_REPORT.encode("big5"), also_reports=False),
        check=_check_decoded("鄉村振興"),
    ),
    Case("model-is-a-folder", "wrong", ("predict", "--model", "{w}/reports", R), fragment="is a folder"),
    Case(
        "model-symlink-loop",
        "wrong",
        ("predict", "--model", "{w}/loop_a.txt", R),
        fragment="symlink loop",
        setup=_symlink_loop,
    ),
    Case("report-symlink-loop", "wrong", ("corpus", "{w}/loop_a.txt"), fragment="symlink loop", setup=_symlink_loop),
    Case("jobs-zero", "wrong", ("predict", "--model", "{model}", R, "--jobs", "0"), fragment="--jobs"),
    # model files
    Case(
        "model-tokenizer-dictionary-outside-package",
        "model",
        ("predict", "--model", "{w}/tampered.skops", R),
        fragment="not a word list of this package",
        setup=_model_with(user_dict="/etc/passwd"),
    ),
    Case(
        "model-padded-schema",
        "model",
        ("predict", "--model", "{w}/padded.skops", R),
        fragment="over the limit",
        setup=_padded_model,
    ),
]
