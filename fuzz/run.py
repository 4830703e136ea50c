#!/usr/bin/env python3
"""Run the atheris harnesses of fuzz/ for a bounded time each; exit 1 naming the harness that crashed.

    .venv/bin/python fuzz/run.py --seconds 15            # what CI runs (tests/test_fuzz_harnesses.py)
    .venv/bin/python fuzz/run.py --seconds 3600 --only skos --keep-corpus /tmp/skos-corpus   # by hand

Each harness starts from its seed corpus (fuzz/seeds/NAME, never written to); new inputs go to a temporary
corpus (or --keep-corpus). A crash, a hang (-timeout) or a memory blow-up (-rss_limit_mb) leaves the input
in fuzz/crashes/; once the bug is fixed, copy that input into fuzz/seeds/NAME as a regression.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESSES = ("metadata", "skos", "email", "upload")
MAX_LEN = {"metadata": 65536, "skos": 65536, "email": 65536, "upload": 262144}


def run_one(name: str, seconds: int, crashes: Path, keep: Path | None) -> tuple[bool, str]:
    seeds = HERE / "seeds" / name
    work = keep / name if keep else Path(tempfile.mkdtemp(prefix=f"dms-fuzz-{name}-"))
    work.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, str(HERE / f"harness_{name}.py"), str(work), str(seeds),
        f"-max_total_time={seconds}", "-timeout=30", "-rss_limit_mb=3072", f"-max_len={MAX_LEN[name]}",
        f"-artifact_prefix={crashes}/{name}-", "-print_final_stats=1",
    ]
    started = time.monotonic()
    try:
        # TMPDIR inside ``work``: atheris ends the harness with os._exit, so its own clean-up (atexit) never runs
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300, cwd=HERE.parent,
                              env={**os.environ, "TMPDIR": str(work)})
    except subprocess.TimeoutExpired:
        return False, f"{name}: did not stop within {seconds + 300} s"
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    output = done.stdout + done.stderr
    runs = next((line.rsplit(":", 1)[1].strip() for line in output.splitlines()
                 if line.startswith("stat::number_of_executed_units")), "?")
    took = time.monotonic() - started
    if done.returncode != 0:
        artifacts = [line for line in output.splitlines() if "Test unit written to" in line or "Error" in line]
        return False, f"{name}: CRASH after {runs} runs ({took:.0f} s)\n" + "\n".join(artifacts[-5:]) + \
            "\n" + output[-3000:]
    return True, f"{name}: {runs} runs in {took:.0f} s, no crash"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15, help="fuzzing time per harness")
    parser.add_argument("--only", action="append", choices=HARNESSES, help="one harness (repeatable)")
    parser.add_argument("--crashes", type=Path, default=HERE / "crashes", help="where failing inputs go")
    parser.add_argument("--keep-corpus", type=Path, default=None, help="keep the grown corpora here")
    args = parser.parse_args(argv)
    failed = 0
    chosen = args.only or list(HARNESSES)
    for name in chosen:
        ok, report = run_one(name, args.seconds, args.crashes, args.keep_corpus)
        print(report, flush=True)
        failed += not ok
    print(f"{len(chosen) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
