"""DTW speed and memory: cmr.dtw side by side with librosa and libfmp.

Every measurement runs in a fresh subprocess (``--worker``), so numba
compilation (done on a tiny warm-up input) and earlier allocations do not
count. Peak memory is the growth of the process's maximum resident set size
(``resource.getrusage(...).ru_maxrss``) during the call: it includes numba's
own allocations, which ``tracemalloc`` would not see.

Times are given as wall-clock and as CPU time of the process
(``time.process_time``), each the best of ``REPEATS`` calls; the machine is
shared, and CPU time is the steadier of the two. Ratios compare
implementations measured in the same run.

Measurements
  1. full DTW with backtracking, N = M = 10,000, 12-dim features, cosine cost
     (cmr.dtw.dtw vs librosa.sequence.dtw vs libfmp.c3)
  2. subsequence DTW, query 200 x database 100,000 (subseq=True in librosa,
     libfmp.c7), with the path of the best match
  3. multiscale DTW on 30,000 x 30,000 frames: time and peak memory, and on a
     10,000 x 9,000 pair (where exact DTW fits) the share of multiscale path
     cells within 2 frames of the exact path

libfmp is a benchmark-only extra, never a runtime dependency: its pins would
downgrade the main environment (ipython, pandas, music21), so it is installed
without dependencies into a separate folder and imported from there:

    .venv/bin/pip install --no-deps --target .cache/bench/libfmp libfmp==1.3.0

(or point CMR_LIBFMP_PATH at such a folder). Without it, its rows say SKIPPED.

Run:  .venv/bin/python benchmarks/bench_dtw.py        (about 1-2 minutes)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
REPO = HERE.parents[1]
LIBFMP_PATH = Path(os.environ.get("CMR_LIBFMP_PATH", REPO / ".cache" / "bench" / "libfmp"))

FULL_N = 10_000
SUB_N, SUB_M = 200, 100_000
MS_N = 30_000
ACC_N, ACC_M = 10_000, 9_000
REPEATS = 2  # each measurement: best of this many calls in the same process


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

def random_features(d, n, seed):
    import numpy as np

    return np.random.default_rng(seed).random((d, n)).astype(np.float32)


def warped_pair(n, m, seed=0):
    """Smooth 12-dim features and a version of them played with a varying tempo (plus noise)."""
    import numpy as np

    g = np.random.default_rng(seed)
    base = np.abs(np.cumsum(g.normal(size=(12, n)), axis=1) / 10) + g.random((12, n)) * 0.3
    t = np.linspace(0.0, 1.0, m)
    warp = (t + 0.06 * np.sin(2 * np.pi * 3 * t) / (2 * np.pi * 3)) * (n - 1)
    Y = np.stack([np.interp(warp, np.arange(n), row) for row in base]) + 0.05 * g.random((12, m))
    return base.astype(np.float32), Y.astype(np.float32)


# ---------------------------------------------------------------------------
# worker: one measurement in a fresh process
# ---------------------------------------------------------------------------

def _maxrss_bytes():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(impl: str, task: str) -> dict:
    import numpy as np

    if impl == "libfmp":
        # benchmark-only extra: measure() puts LIBFMP_PATH on this worker's PYTHONPATH
        import libfmp.c3
        import libfmp.c7

    if task == "full":
        X, Y = random_features(12, FULL_N, 1), random_features(12, FULL_N, 2)
    elif task == "subseq":
        X, Y = random_features(12, SUB_N, 3), random_features(12, SUB_M, 4)
    elif task == "multiscale":
        X, Y = warped_pair(MS_N, MS_N, seed=5)
    else:
        raise ValueError(task)
    cells = X.shape[1] * Y.shape[1]

    def run(X, Y):
        if impl == "ours":
            from cmr import dtw

            if task == "full":
                return dtw.dtw(X, Y, metric="cosine").path
            if task == "subseq":
                r = dtw.subsequence_dtw(X, Y, metric="cosine")
                return r.path(r.best_end)
            return dtw.multiscale_dtw(X, Y, metric="cosine").path
        if impl == "librosa":
            import librosa

            X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
            _, wp = librosa.sequence.dtw(X=X64, Y=Y64, metric="cosine", subseq=(task == "subseq"),
                                         backtrack=True)
            return wp
        if impl == "libfmp":
            C = libfmp.c3.compute_cost_matrix(X.astype(np.float64), Y.astype(np.float64), metric="cosine")
            if task == "full":
                D = libfmp.c3.compute_accumulated_cost_matrix(C)
                return libfmp.c3.compute_optimal_warping_path(D)
            D = libfmp.c7.compute_accumulated_cost_matrix_subsequence_dtw(C)
            return libfmp.c7.compute_optimal_warping_path_subsequence_dtw(D)
        raise ValueError(impl)

    run(X[:, :50], Y[:, :60])  # compile / warm up
    before = _maxrss_bytes()
    walls, cpus = [], []
    for _ in range(REPEATS):  # best of REPEATS, every implementation alike
        t_wall = time.perf_counter()
        t_cpu = time.process_time()
        path = run(X, Y)
        walls.append(time.perf_counter() - t_wall)
        cpus.append(time.process_time() - t_cpu)
        path_len = len(path)
        del path
    peak = max(0, _maxrss_bytes() - before)
    return {"impl": impl, "task": task, "cells": cells, "wall": min(walls), "cpu": min(cpus), "peak": peak,
            "path_len": int(path_len)}


def measure(impl: str, task: str, timeout: float = 600) -> dict | None:
    if impl == "libfmp" and not (LIBFMP_PATH / "libfmp").is_dir():
        return {"impl": impl, "task": task, "skipped": f"libfmp not installed in {LIBFMP_PATH} (see module doc)"}
    cmd = [sys.executable, str(HERE), "--worker", impl, task]
    env = dict(os.environ)
    if impl == "libfmp":  # only this worker process sees libfmp
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(LIBFMP_PATH), env.get("PYTHONPATH", "")) if p)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True, env=env)
    except subprocess.CalledProcessError as exc:
        return {"impl": impl, "task": task, "skipped": f"failed: {exc.stderr.strip().splitlines()[-1:]}"}
    except subprocess.TimeoutExpired:
        return {"impl": impl, "task": task, "skipped": f"timed out after {timeout} s"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# accuracy of multiscale DTW against exact DTW
# ---------------------------------------------------------------------------

def multiscale_accuracy():
    import numpy as np

    from cmr import dtw

    X, Y = warped_pair(ACC_N, ACC_M, seed=7)
    exact = dtw.dtw(X, Y, metric="cosine")
    ms = dtw.multiscale_dtw(X, Y, metric="cosine")
    lo = np.full(ACC_N, np.iinfo(np.int64).max)
    hi = np.full(ACC_N, -1)
    np.minimum.at(lo, exact.path[:, 0], exact.path[:, 1])
    np.maximum.at(hi, exact.path[:, 0], exact.path[:, 1])
    n, m = ms.path[:, 0], ms.path[:, 1]
    dist = np.maximum(lo[n] - m, m - hi[n]).clip(min=0)
    return {"within2": float(np.mean(dist <= 2)), "max_dist": int(dist.max()),
            "cost_ratio": ms.cost / exact.cost, "levels": ms.info["levels"]}


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def _row(r, ref=None):
    if r is None or "skipped" in r:
        return f"{r['impl']:<8} SKIPPED: {r['skipped']}" if r else "?"
    ns_wall = 1e9 * r["wall"] / r["cells"]
    ns_cpu = 1e9 * r["cpu"] / r["cells"]
    text = (f"{r['impl']:<8} {r['wall']:8.2f} s {ns_wall:9.2f} {ns_cpu:9.2f} "
            f"{r['peak'] / 2**20:10.1f} MB {r['peak'] / r['cells']:8.3f}")
    if ref is not None and "skipped" not in ref and r is not ref:
        text += f"   ours is {r['cpu'] / ref['cpu']:.1f}x faster (CPU), {r['wall'] / ref['wall']:.1f}x (wall)"
    return text


def main():
    load = os.getloadavg()
    print(f"machine load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores "
          "(wall times grow with load, CPU times much less)\n")
    header = f"{'impl':<8} {'wall':>10} {'ns/cell':>9} {'ns/cell':>9} {'peak mem':>13} {'B/cell':>8}"
    sub = f"{'':<8} {'':>10} {'(wall)':>9} {'(CPU)':>9}"
    print(f"1. full DTW with path, N = M = {FULL_N:,}, d = 12, cosine")
    print(header)
    print(sub)
    res = {impl: measure(impl, "full") for impl in ("ours", "librosa", "libfmp")}
    for impl in ("ours", "librosa", "libfmp"):
        print(_row(res[impl], res["ours"]))
    print(f"\n2. subsequence DTW with path of the best match, query {SUB_N} x database {SUB_M:,}, cosine")
    print(header)
    print(sub)
    res2 = {impl: measure(impl, "subseq") for impl in ("ours", "librosa", "libfmp")}
    for impl in ("ours", "librosa", "libfmp"):
        print(_row(res2[impl], res2["ours"]))
    print(f"\n3. multiscale DTW, {MS_N:,} x {MS_N:,} frames (factor 4, radius 4, coarsest 1000)")
    r = measure("ours", "multiscale")
    if "skipped" in r:
        print(_row(r))
    else:
        print(f"ours     {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, peak memory {r['peak'] / 2**20:.1f} MB "
              f"(full DTW would need {MS_N * MS_N / 2**20:.0f} MB of backpointers alone)")
    acc = multiscale_accuracy()
    print(f"   vs exact DTW on a {ACC_N:,} x {ACC_M:,} tempo-warped pair: {100 * acc['within2']:.2f}% of the "
          f"multiscale path cells lie within 2 frames of the exact path (max distance {acc['max_dist']}), "
          f"cost ratio multiscale/exact {acc['cost_ratio']:.4f}; levels {acc['levels']}")
    return {"full": res, "subseq": res2, "multiscale": r, "accuracy": acc}


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], sys.argv[3])))
    else:
        main()
