#!/usr/bin/python3
"""End-to-end comparison of Braid with ONNX Runtime 1.30 (CPU EP) on the bundled models
(inception, wide_mlp, transformer, resnet, ensemble from <build>/models), at 1 and 2
threads: Braid sequential / static / adaptive against ORT sequential with intraOpNumThreads
N. Both runtimes run as warm servers (`braid-bench --serve`, ort_serve.mjs) with the same
seeded inputs; every round times each model in every configuration in blocks, the order
rotated from round to round; medians and p99 are over all runs of all rounds.

Every Braid session of a thread count shares one Runtime of N threads (so no mode uses
more than N cores); Braid's sequential mode runs every node on one thread whatever N is.
The issue-3 acceptance: sequential, 1 thread, resnet and inception, Braid / ORT <= 1.0.

    /usr/bin/python3 benchmarks/peer/e2e_compare.py [--quick] [--json out.json]

--competitor cpu:K starts K CPU-bound processes (`while True: pass`, as in
../shared/BENCHMARKS.md) for the timed rounds; bursty:K:ON:OFF makes them busy ON ms and
idle OFF ms in turn. They are separate processes, started and killed by PID.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common as pc  # noqa: E402

MODELS = ["inception", "wide_mlp", "transformer", "resnet", "ensemble"]
BRAID_MODES = ["sequential", "static", "adaptive"]


def start_competitors(spec):
    """'none', 'cpu:K' or 'bursty:K:ON_MS:OFF_MS' -> list of Popen."""
    if spec in (None, "", "none"):
        return []
    parts = spec.split(":")
    kind, k = parts[0], int(parts[1]) if len(parts) > 1 else 1
    if kind == "cpu" and len(parts) <= 2:
        code = "while True: pass"
    elif kind == "bursty" and len(parts) == 4:
        on, off = float(parts[2]) / 1000.0, float(parts[3]) / 1000.0
        code = ("import time\n"
                "while True:\n"
                "    end = time.monotonic() + %r\n"
                "    while time.monotonic() < end: pass\n"
                "    time.sleep(%r)\n" % (on, off))
    else:
        raise SystemExit("bad --competitor %r (none, cpu:K, bursty:K:ON_MS:OFF_MS)" % spec)
    return [subprocess.Popen(["/usr/bin/python3", "-c", code]) for _ in range(k)]


def stop_competitors(procs):
    for p in procs:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def run_threads(threads, models, args, work):
    pin = pc.pin_prefix(args.cpu if args.cpu != "auto" else ("1" if threads == 1 and os.cpu_count() > 1 else None))
    braid = pc.braid_server(args.build, threads, args.graph_optimization, pin)
    ort = pc.ort_server(threads, prefix=pin)
    load_start = pc.loadavg()
    configs = [("braid-" + m, braid, (lambda mode: lambda k: "%s.%s" % (k, mode))(m)) for m in args.modes] + \
              [("ort", ort, lambda k: k)]
    try:
        first_run = {}
        for name in models:
            path = os.path.join(args.build, "models", name + ".onnx")
            in_dir = os.path.join(work, name + "_in")
            pc.write_inputs(path, in_dir, args.seed)
            for mode in args.modes:
                braid.load("%s.%s" % (name, mode), mode, in_dir, path)
            ort.load(name, "sequential", in_dir, path)
        overhead = pc.measure_overhead(braid, ort, work)
        iters, checks, mismatches = {}, {}, []
        for name in models:
            iters[name] = {}
            for cname, server, ident in configs:
                first = server.run(ident(name), 0, 1)
                rest = server.run(ident(name), 2, 3)
                first_run.setdefault(name, {})[cname] = first[3][0]
                checks.setdefault(name, {})[cname] = rest[:3]
                iters[name][cname] = pc.block_iters(float(np.median(rest[3])), args.block_ms)
            for cname in checks[name]:
                if not pc.check_outputs(checks[name][cname], checks[name]["ort"], args.rtol):
                    mismatches.append("%s/%s" % (name, cname))
        loads = []
        competitors = start_competitors(args.competitor)
        try:
            time.sleep(0.5 if competitors else 0)  # let the monitor see them
            t0 = time.time()
            samples = pc.interleave([(m, iters[m]) for m in models], configs, args.rounds, args.gap_ms / 1000.0,
                                    on_round=lambda r: loads.append(pc.loadavg()[0]))
            elapsed = time.time() - t0
        finally:
            stop_competitors(competitors)
        settle = pc.settle_summary(ort, braid)
    finally:
        braid.close()
        ort.close()
    rows = []
    for name in models:
        o = pc.summarize(samples[(name, "ort")])
        ort_corr = max(o["median_ms"] - overhead["ort_identity_ms"], 1e-6)
        ort_p99_corr = max(o["p99_ms"] - overhead["ort_identity_ms"], 1e-6)
        for cname, _, _ in configs:
            if cname == "ort":
                continue
            b = pc.summarize(samples[(name, cname)])
            rows.append({"model": name, "threads": threads, "config": cname, "braid": b, "ort": o,
                         "ratio": b["median_ms"] / o["median_ms"], "ratio_corrected": b["median_ms"] / ort_corr,
                         "p99_ratio": b["p99_ms"] / o["p99_ms"], "p99_ratio_corrected": b["p99_ms"] / ort_p99_corr,
                         "ratio_round_range": pc.round_ratio_range(samples[(name, cname)], samples[(name, "ort")]),
                         "ratio_paired": float(np.median(pc.round_ratios(samples[(name, cname)], samples[(name, "ort")]))),
                         "ratio_paired_ci90": pc.median_ci(pc.round_ratios(samples[(name, cname)], samples[(name, "ort")])),
                         "first_run_ms": first_run[name][cname], "ort_first_run_ms": first_run[name]["ort"]})
    return {"threads": threads, "overhead": overhead, "rows": rows, "iters": iters, "checks": checks,
            "mismatches": mismatches, "pinned": " ".join(pin[2:]) or "no", "load_start": load_start, "load_per_round": loads, "load_end": pc.loadavg(), "settle": settle,
            "seconds": elapsed}


# Below this many runs the 99th percentile is interpolated among the three slowest samples
# (numpy's linear rule: position 0.99 (n - 1)).
MIN_P99_RUNS = 200


def print_threads(res):
    t = res["threads"]
    print("\n## %d thread%s (ORT: sequential, intra-op %d); both pinned to CPU: %s" % (
        t, "s" if t > 1 else "", t, res["pinned"]))
    print("load average (1 min) at start %.2f, per round %s, at end %.2f; %.0f s" % (
        res["load_start"][0], " ".join("%.1f" % x for x in res["load_per_round"]), res["load_end"][0], res["seconds"]))
    print("waited after a block for the server to go idle (median): %s" % res["settle"])
    ov = res["overhead"]
    print("Identity(1x1000): Braid %.4f ms, ORT via Node %.4f ms (subtracted from ORT for 'corr')" % (
        ov["braid_identity_ms"], ov["ort_identity_ms"]))
    w = [12, 17, 6, 9, 9, 9, 9, 7, 7, 7, 11, 7, 11]
    print(pc_row(["model", "Braid mode", "runs", "Braid p50", "Braid p99", "ORT p50", "ORT p99", "p50 raw",
                  "p50 corr", "p99 raw", "round range", "paired", "90% CI"], w))
    for r in res["rows"]:
        print(pc_row([r["model"], r["config"].replace("braid-", ""), r["braid"]["runs"],
                      "%.3f" % r["braid"]["median_ms"], "%.3f" % r["braid"]["p99_ms"], "%.3f" % r["ort"]["median_ms"],
                      "%.3f" % r["ort"]["p99_ms"], "%.3f" % r["ratio"], "%.3f" % r["ratio_corrected"],
                      "%.3f" % r["p99_ratio"], "%.2f-%.2f" % tuple(r["ratio_round_range"]), "%.3f" % r["ratio_paired"],
                      "%.3f-%.3f" % tuple(r["ratio_paired_ci90"])], w))
    print("paired: the median over rounds of each round's Braid / ORT p50 (raw), blocks run back to back; "
          "90% CI: of that median, bootstrapped over the rounds")
    few = ["%s/%s %d/%d" % (r["model"], r["config"].replace("braid-", ""), r["braid"]["runs"], r["ort"]["runs"])
           for r in res["rows"] if min(r["braid"]["runs"], r["ort"]["runs"]) < MIN_P99_RUNS]
    if few:
        print("p99 from fewer than %d runs (Braid/ORT): %s. There it is interpolated among the three slowest samples, "
              "close to the maximum: for p99 ratios use more --rounds or a longer --block-ms (e.g. 8 x 600)"
              % (MIN_P99_RUNS, ", ".join(few)))


def pc_row(cols, widths):
    return " ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=pc.DEFAULT_BUILD, help="Braid build dir (braid-bench, models/)")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--modes", default=",".join(BRAID_MODES))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--graph-optimization", default="basic", help="Braid's load-time fusion: none|basic")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--block-ms", type=float, default=250.0, help="target length of one timed block")
    ap.add_argument("--gap-ms", type=float, default=5.0, help="pause between blocks, after the server that ran one has gone idle")
    ap.add_argument("--quick", action="store_true", help="4 rounds of 120 ms blocks")
    ap.add_argument("--rtol", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", default=None, help="where the input files go (default: a temp dir)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--cpu", default="auto", help="pin both servers to these CPUs (taskset list, e.g. 1 or 0,1); "
                    "auto: CPU 1 for one thread, none for more; none")
    ap.add_argument("--competitor", default="none", help="none | cpu:K | bursty:K:ON_MS:OFF_MS during the timed rounds")
    args = ap.parse_args()
    args.modes = args.modes.split(",")
    if args.quick:
        args.rounds, args.block_ms = min(args.rounds, 4), min(args.block_ms, 120.0)
    work = args.work or tempfile.mkdtemp(prefix="braid_e2e_compare_")
    models = args.models.split(",")

    print("# Braid vs ONNX Runtime 1.30, end to end (%d rounds, blocks of ~%.0f ms)" % (args.rounds, args.block_ms))
    print("command: /usr/bin/python3 " + " ".join(sys.argv))
    print("competitor: " + args.competitor)
    print("source: " + pc.source_state(args.build))
    all_res = []
    for t in [int(x) for x in args.threads.split(",")]:
        res = run_threads(t, models, args, work)
        print_threads(res)
        all_res.append(res)
    if any(res["threads"] == 1 for res in all_res) and "sequential" in args.modes:
        print("\n## Acceptance (issue 3): sequential, 1 thread, Braid / ORT median <= 1.0")
    for res in all_res:
        if res["threads"] != 1:
            continue
        for r in res["rows"]:
            if r["config"] == "braid-sequential" and r["model"] in ("resnet", "inception"):
                print("%-10s raw %.3f corrected %.3f -> %s" % (r["model"], r["ratio"], r["ratio_corrected"],
                                                              "met" if r["ratio_corrected"] <= 1.0 else "NOT met"))
    mism = sorted({m for r in all_res for m in r["mismatches"]})
    print("outputs agree (rtol %g of sum |y|): %s" % (args.rtol, "all" if not mism else "NOT for " + ", ".join(mism)))
    if args.json:
        pc.dump_json(args.json, {"command": sys.argv, "source": pc.source_state(args.build),
                                 "competitor": args.competitor,
                                 "rounds": args.rounds, "block_ms": args.block_ms,
                                 "results": all_res})
    return 0


if __name__ == "__main__":
    sys.exit(main())
