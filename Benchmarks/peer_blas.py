#!/usr/bin/env python3
"""The BLAS kernels a Python peer runs: imports the modules named (default numpy), then prints
threadpoolctl.threadpool_info()'s BLAS entries on one line ("openblas 0.3.27 SkylakeX (file), 1 thread").
Run it with the peer's environment (Benchmarks/peer_env.sh: peer_blas)."""
import importlib
import os
import sys


def describe(info):
    parts = []
    for entry in info:
        if entry.get("user_api") != "blas":
            continue
        threads = entry.get("num_threads")
        parts.append(f"{entry.get('internal_api', '?')} {entry.get('version') or '?'} {entry.get('architecture') or '?'} "
                     f"({os.path.basename(entry.get('filepath', '?'))}), {threads} thread{'' if threads == 1 else 's'}")
    return "; ".join(parts) or "no BLAS loaded"


def main():
    for name in sys.argv[1:] or ["numpy"]:
        importlib.import_module(name)
    from threadpoolctl import threadpool_info

    print(describe(threadpool_info()))


if __name__ == "__main__":
    main()
