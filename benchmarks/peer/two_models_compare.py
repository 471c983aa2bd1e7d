#!/usr/bin/env python3
"""Two models at once, as users run them: Braid (one process, one shared Runtime, one
client thread per model: `braid-bench --together`) against ONNX Runtime (two processes,
one session each with ORT's default threads, started together: what two services
embedding ORT do). Rounds alternate Braid and ORT phases; per model, the medians of the
per-round p50 and p99 and the Braid / ORT ratios are printed (issue 9's target: each
model's p99 <= 0.7x ORT's).

  /usr/bin/python3 benchmarks/peer/two_models_compare.py --build build/release \\
      [--models inception,transformer] [--seconds 8] [--rounds 3] [--json out.json]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_common import ORT_PREFIX, loadavg  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_BENCH = os.path.join(os.path.dirname(ROOT), "shared", "tools", "peer", "ort_bench.mjs")


def percentile(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ort_solo_ms(model):
    out = subprocess.run(["node", ORT_BENCH, model, "--intra", "0", "--warmup", "3", "--iters", "15"],
                         env=dict(os.environ, ORT_NODE_DIR=os.path.join(ORT_PREFIX, "node_modules")),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["p50"]


def ort_phase(models, iters):
    """Both ORT processes at once; returns {model: [latencies ms]}."""
    env = dict(os.environ, ORT_NODE_DIR=os.path.join(ORT_PREFIX, "node_modules"))
    procs = [subprocess.Popen(["node", ORT_BENCH, m, "--intra", "0", "--warmup", "5", "--iters", str(iters[m]),
                               "--raw"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for m in models]
    result = {}
    for m, p in zip(models, procs):
        out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"ort_bench {m}: {err}")
        result[m] = json.loads(out.strip().splitlines()[-1])["lat"]
    return result


def braid_phase(bench, models, seconds):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        subprocess.run([bench, "--together", "--mode", "adaptive", "--duration", str(seconds), "--warmup", "5",
                        "--json", report] + models, check=True, capture_output=True, text=True)
        with open(report) as f:
            r = json.load(f)
    return {res["model_path"]: res["latency_ms"] for res in r["results"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--models", default="inception,transformer")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    bench = os.path.join(a.build, "benchmarks", "braid-bench")
    models = [os.path.join(a.build, "models", m + ".onnx") for m in a.models.split(",")]
    # ORT runs a fixed count: size it so each model runs about --seconds alone.
    iters = {m: max(20, int(a.seconds * 1000 / ort_solo_ms(m))) for m in models}
    rounds = []
    for r in range(a.rounds):
        load0 = loadavg()[0]
        phases = [("braid", lambda: braid_phase(bench, models, a.seconds)), ("ort", lambda: ort_phase(models, iters))]
        if r % 2:
            phases.reverse()
        got = {}
        for name, fn in phases:
            got[name] = fn()
        row = {"load": [load0, loadavg()[0]]}
        for m in models:
            o = got["ort"][m]
            row[m] = {"braid_p50": got["braid"][m]["p50"], "braid_p99": got["braid"][m]["p99"],
                      "ort_p50": percentile(o, 0.5), "ort_p99": percentile(o, 0.99), "ort_runs": len(o)}
        rounds.append(row)
        print(f"round {r + 1}: load {row['load'][0]:.1f} -> {row['load'][1]:.1f}", flush=True)
    print("| model | Braid p50 / p99 ms | ORT p50 / p99 ms | p50 ratio | p99 ratio | p99 ratio per round |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for m in models:
        med = {k: statistics.median(row[m][k] for row in rounds) for k in ("braid_p50", "braid_p99", "ort_p50", "ort_p99")}
        per = [row[m]["braid_p99"] / row[m]["ort_p99"] for row in rounds]
        name = os.path.basename(m)[:-5]
        summary[name] = dict(med, p50_ratio=med["braid_p50"] / med["ort_p50"], p99_ratio=med["braid_p99"] / med["ort_p99"])
        print(f"| {name} | {med['braid_p50']:.2f} / {med['braid_p99']:.2f} | {med['ort_p50']:.2f} / {med['ort_p99']:.2f} "
              f"| {summary[name]['p50_ratio']:.2f} | {summary[name]['p99_ratio']:.2f} | "
              + ", ".join(f"{x:.2f}" for x in per) + " |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rounds": rounds, "summary": summary, "seconds": a.seconds, "iters_ort": iters}, f, indent=1)


if __name__ == "__main__":
    main()
