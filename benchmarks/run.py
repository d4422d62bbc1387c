"""Run every benchmark in this folder and print what it measured.

Each ``bench_*.py`` module defines ``main()``; it prints its own table and
returns. Results worth keeping are copied by hand into ``RESULTS.md`` with
the command that produced them.
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if wanted:
        scripts = [s for s in scripts if s.stem in wanted or s.stem.removeprefix("bench_") in wanted]
    if not scripts:
        print("no benchmarks found")
        return 0
    failed = 0
    for script in scripts:
        print(f"=== {script.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        start = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as exc:  # keep going, report at the end
            failed += 1
            print(f"{script.stem} FAILED: {exc!r}")
        print(f"({script.stem} took {time.perf_counter() - start:.1f} s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
