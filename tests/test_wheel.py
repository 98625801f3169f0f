"""The package works from an installed wheel, outside the checkout: no path derived from the source tree."""

import subprocess
import sys
import zipfile

import pytest

from tests.helpers import ROOT, SEEDS


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """The project built as a wheel and unpacked into its own folder (dependencies from this environment)."""
    build = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-w", str(build)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = build.glob("nlp-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return wheel, target


def _run_installed(target, *args, cwd):
    # PYTHONPATH puts the unpacked wheel before the editable checkout on sys.path
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "nlp", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


@pytest.mark.slow
def test_wheel_ships_the_package_data(installed_wheel):
    wheel, _ = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    for resource in ("codebook.json", "stopwords.txt", "policy_terms.txt", "heading_rules.json", "SOURCES.md"):
        assert f"nlp/resources/{resource}" in names
    assert not any(name.startswith(("seeds/", "tests/", "experiments/")) for name in names)


@pytest.mark.slow
def test_installed_wheel_runs_corpus_on_a_given_folder_outside_the_checkout(installed_wheel, tmp_path):
    _, target = installed_wheel
    where = subprocess.run(
        [sys.executable, "-c", "import nlp; print(nlp.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        check=True,
    )
    assert where.stdout.strip().startswith(str(target)), "the test must run the wheel, not the checkout"
    result = _run_installed(target, "corpus", str(SEEDS), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "荫田镇" in result.stdout and "洋沙湖镇" in result.stdout
    # without a path, outside a checkout: a clear one-line error, not data found next to the package
    bare = _run_installed(target, "corpus", cwd=tmp_path)
    assert bare.returncode == 2 and bare.stderr.count("\n") == 1 and "no seeds/ folder" in bare.stderr
