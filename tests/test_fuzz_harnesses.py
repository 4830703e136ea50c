"""The atheris harnesses of fuzz/ (issue 11): every seed (regressions included) replays clean, and each
harness fuzzes for a bounded time without a crash, hang or memory blow-up. The CI budget is a few seconds
per harness; run longer by hand: ``.venv/bin/python fuzz/run.py --seconds 3600`` (docs/fuzzing.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
HARNESSES = ("metadata", "skos", "email", "upload")
SECONDS = 5


def _harness(name: str):
    spec = importlib.util.spec_from_file_location(f"dms_fuzz_harness_{name}", FUZZ / f"harness_{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("name", HARNESSES)
def test_every_seed_replays_clean(name):
    seeds = sorted((FUZZ / "seeds" / name).iterdir())
    assert len(seeds) >= 5, f"fuzz/seeds/{name} needs a real seed corpus"
    harness = _harness(name)
    for seed in seeds:
        harness.TestOneInput(seed.read_bytes())  # raises on the bug it once found


def test_each_harness_fuzzes_without_a_crash(tmp_path):
    done = subprocess.run(
        [sys.executable, str(FUZZ / "run.py"), "--seconds", str(SECONDS), "--crashes", str(tmp_path / "crashes")],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert f"{len(HARNESSES)} passed, 0 failed" in done.stdout
