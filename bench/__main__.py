import argparse
import importlib
import json
import pkgutil
import sys
import time

import bench
from bench import harness


def available() -> dict[str, str]:
    names = {}
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_") or info.name == "harness":
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if hasattr(module, "run"):
            names[info.name] = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Nuanxin benchmarks")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    parser.add_argument("--n", type=int, default=None, help="work items (each benchmark has its own default)")
    args = parser.parse_args(argv)
    names = available()
    if args.list:
        for name, doc in sorted(names.items()):
            print(f"{name:16} {doc}")
        return 0
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; try --list")
    failed = 0
    with harness.database():
        for name in args.names or sorted(names):
            started = time.monotonic()
            print(f"== {name}", flush=True)
            try:
                result = importlib.import_module(f"bench.{name}").run(args)
            except Exception as exc:  # report and go on with the others
                failed += 1
                result = {"name": name, "errors": 1, "error": repr(exc)}
            result.setdefault("name", name)
            result.setdefault("database", harness.vendor())
            print(f"   ({time.monotonic() - started:.1f}s)")
            print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
