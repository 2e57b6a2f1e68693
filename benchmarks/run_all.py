"""``make bench``: run every ``benchmarks/bench_*.py`` in turn; each prints its figures."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import benchmarks


def main() -> int:
    modules = pkgutil.iter_modules(benchmarks.__path__)
    names = sorted(info.name for info in modules if info.name.startswith("bench_"))
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"({name} took {time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
