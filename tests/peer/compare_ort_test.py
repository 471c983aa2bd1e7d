"""braid-bench --compare ort end to end on a small bundled model (ctest label peer).

    compare_ort_test.py ort|missing --bench BIN --model M.onnx --source-dir SRC --workdir DIR

ort:     `--compare ort --iterations 5` prints one row per Braid and ORT configuration, the
         ratios to ORT's best configuration and "output check MODEL: OK"; its --json
         validates against docs/braid-bench-report.schema.json and holds the same figures;
         with --interference cpu:1 it measures a quiet and a loaded phase. Exits 77 (ctest
         SKIP_RETURN_CODE) when node or onnxruntime-node is missing.
missing: with no onnxruntime-node (BRAID_ORT_PREFIX pointing nowhere) it exits 3 and
         says how to install it (needs no ORT: runs in the default label).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
SKIP = 77


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def ort_prefix():
    return os.environ.get("BRAID_ORT_PREFIX", os.path.join(os.path.expanduser("~"), ".cache", "braid", "ort"))


def run(cmd, env=None, timeout=120):
    print("+ " + " ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
    print(p.stdout)
    return p


def table_rows(out, model):
    """{(runtime, config): [fields...]} of the table lines of `model` in `out`, per phase."""
    phases = []
    for line in out.splitlines():
        if line.startswith("== "):
            phases.append({})
        w = line.split()
        if phases and len(w) >= 3 and w[0] == model and w[1] in ("braid", "ort"):
            phases[-1][(w[1], w[2])] = w[3:]
    return phases


def test_ort(args):
    if shutil.which("node") is None:
        print("SKIP: node is not installed")
        sys.exit(SKIP)
    if not os.path.exists(os.path.join(ort_prefix(), "node_modules", "onnxruntime-node", "package.json")):
        print("SKIP: onnxruntime-node is not installed in %s (scripts/common.sh ensure_ort_peer)" % ort_prefix())
        sys.exit(SKIP)
    sys.path.insert(0, os.path.join(args.source_dir, "tests", "unit", "harness"))
    from json_schema_lite import validate  # noqa: E402

    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.splitext(os.path.basename(args.model))[0]
    out_json = os.path.join(args.workdir, "compare.json")
    p = run([args.bench, "--compare", "ort", "--iterations", "5", "--warmup", "1", "--json", out_json, args.model])
    check(p.returncode == 0, "braid-bench --compare ort exited with %d" % p.returncode)
    phases = table_rows(p.stdout, model)
    check(len(phases) == 1, "one table without --interference, got %d" % len(phases))
    rows = phases[0]
    braid = sorted(c for r, c in rows if r == "braid")
    ort = sorted(c for r, c in rows if r == "ort")
    check(braid == ["adaptive/f32", "sequential/f32", "static/f32"], "Braid rows %r" % braid)
    check(len(ort) == 2 and ort[0].startswith("parallel/inter=") and ort[1].startswith("sequential/intra="),
          "ORT rows %r" % ort)
    for (runtime, config), f in rows.items():
        check(f[0] == "5", "%s %s: %s runs, asked for 5" % (runtime, config, f[0]))
        p50, p99 = float(f[1]), float(f[2])
        check(0 < p50 <= p99, "%s %s: p50 %g p99 %g" % (runtime, config, p50, p99))
        if runtime == "braid":
            check(f[-2].endswith("x") and f[-1].endswith("x"), "%s: no ratio columns in %r" % (config, f))
    check(sum(1 for (r, c), f in rows.items() if r == "ort" and f[-1] == "(best)") == 1, "one ORT row marked best")
    check(re.search(r"^output check %s: OK \(" % re.escape(model), p.stdout, re.M),
          "no 'output check %s: OK' line" % model)

    with open(out_json) as f:
        report = json.load(f)
    with open(os.path.join(args.source_dir, "docs", "braid-bench-report.schema.json")) as f:
        schema = json.load(f)
    errors = validate(report, schema)
    check(not errors, "the report violates the schema:\n  " + "\n  ".join(errors))
    c = report["compare"]
    check(c["peer"].startswith("onnxruntime-node 1.30"), "peer %r" % c["peer"])
    check(report["options"]["compare"] == "ort" and report["results"] == [], "options.compare / results")
    check([ph["name"] for ph in c["phases"]] == ["quiet"], "phases %r" % [ph["name"] for ph in c["phases"]])
    jrows = c["phases"][0]["rows"]
    check(len(jrows) == 5 and all(r["status"] == "ok" and r["runs"] == 5 for r in jrows), "JSON rows %r" % jrows)
    for r in jrows:
        printed = rows[(r["runtime"], r["config"])]
        check(abs(float(printed[1]) - r["latency_ms"]["p50"]) < 1e-3 + 1e-3 * r["latency_ms"]["p50"],
              "%s: table and JSON p50 differ" % r["config"])
    best = min((r for r in jrows if r["runtime"] == "ort"), key=lambda r: r["latency_ms"]["p50"])
    for k in c["phases"][0]["ratios"]:
        b = next(r for r in jrows if r["runtime"] == "braid" and r["config"] == k["braid_config"])
        check(k["ort_config"] == best["config"], "ratio against %s, ORT's best is %s" % (k["ort_config"], best["config"]))
        want = b["latency_ms"]["p50"] / best["latency_ms"]["p50"]
        check(abs(k["p50_ratio"] - want) <= 1e-4 * want, "p50 ratio %g, the rows give %g" % (k["p50_ratio"], want))
    check(len(c["phases"][0]["ratios"]) == 3, "one ratio per Braid configuration")
    # The Node binding's overhead, measured on an Identity model, and the corrected ratios.
    check(c["ort_identity_ms"] is not None and c["ort_identity_ms"] > 0 and c["braid_identity_ms"] is not None,
          "identity overhead %r / %r" % (c["braid_identity_ms"], c["ort_identity_ms"]))
    check(re.search(r"^Identity\(1x1000\).*ORT via Node [0-9.]+ ms", p.stdout, re.M), "no overhead line")
    for k in c["phases"][0]["ratios"]:
        check(k["p50_ratio_corrected"] >= k["p50_ratio"], "a smaller ORT time must raise the ratio: %r" % k)
    oc = c["output_checks"]
    check(len(oc) == 1 and oc[0]["status"] == "ok" and oc[0]["numel"] > 0, "output check %r" % oc)
    check(abs(oc[0]["braid_sum_abs"] - oc[0]["ort_sum_abs"]) <= oc[0]["rtol"] * oc[0]["ort_sum_abs"], "sums agree")

    # Under interference: a quiet table, then a loaded one, each with every configuration.
    p = run([args.bench, "--compare", "ort", "--iterations", "3", "--warmup", "1", "--mode", "adaptive",
             "--interference", "cpu:1", args.model])
    check(p.returncode == 0, "--interference cpu:1 run exited with %d" % p.returncode)
    phases = table_rows(p.stdout, model)
    check(len(phases) == 2 and all(len(ph) == 3 for ph in phases), "two tables of 3 rows, got %r" % phases)
    check("with a competing process (--interference cpu:1)" in p.stdout, "the loaded phase is not named")
    check(re.search(r"^output check %s: OK" % re.escape(model), p.stdout, re.M), "no output check line")

    # Two models together: both measured in one table per phase, ORT as a process per model.
    other = os.path.join(os.path.dirname(args.model), "ensemble.onnx")
    p = run([args.bench, "--compare", "ort", "--together", "--iterations", "3", "--warmup", "1", "--mode",
             "adaptive", args.model, other])
    check(p.returncode == 0, "--together run exited with %d" % p.returncode)
    check("models together" in p.stdout, "the header does not say the models ran together")
    for name in (model, "ensemble"):
        phases = table_rows(p.stdout, name)
        check(len(phases) == 1 and len(phases[0]) == 3, "%s: one table of 3 rows, got %r" % (name, phases))
        check(re.search(r"^output check %s: OK" % re.escape(name), p.stdout, re.M), "%s: no output check" % name)
    print("PASS ort")


def test_missing(args):
    env = dict(os.environ, BRAID_ORT_PREFIX=os.path.join(args.workdir, "no-ort-here"))
    os.makedirs(args.workdir, exist_ok=True)
    p = run([args.bench, "--compare", "ort", "--iterations", "1", args.model], env=env)
    check(p.returncode == 3, "exit code %d without ORT, expected 3" % p.returncode)
    check("ensure_ort_peer" in p.stdout and "npm install" in p.stdout and "onnxruntime-node@1.30.0" in p.stdout,
          "no install hint")
    check("p50" not in p.stdout, "it measured something anyway")
    print("PASS missing")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["ort", "missing"])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    {"ort": test_ort, "missing": test_missing}[args.what](args)


if __name__ == "__main__":
    main()
