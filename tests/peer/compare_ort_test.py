"""braid-bench --compare ort end to end on a small bundled model (ctest label peer).

    compare_ort_test.py ort|missing --bench BIN --model M.onnx --source-dir SRC --workdir DIR

ort:     `--compare ort --iterations 5` prints one row per Braid and ORT configuration, the
         ratios to ORT's best configuration and "output check MODEL: OK" (element by
         element); its --json validates against docs/braid-bench-report.schema.json and holds
         the same figures (ORT's peak RSS by PID, Braid's activation memory); with
         --interference cpu:1 it measures a quiet and a loaded phase; the multi-stream, server
         and offline scenarios run on both sides (ORT also with a worker thread per
         concurrent request); an ORT output corrupted on purpose
         (BRAID_ORT_CORRUPT_OUTPUT=1, read by ort_serve.mjs) fails the check; bf16/int8 rows
         are reported, not checked; --trace and --html are written. Exits 77 (ctest
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
import xml.etree.ElementTree as ET

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
        if phases and len(w) >= 3 and w[0] == model and w[1] in ("braid", "ort") and not w[3].startswith("FAILED"):
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
        p50, p99 = float(f[2]), float(f[3])
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
        check(abs(float(printed[2]) - r["latency_ms"]["p50"]) < 1e-3 + 1e-3 * r["latency_ms"]["p50"],
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
    # Element by element: every f32 configuration against ORT, within 1e-4 of the peak.
    oc = c["output_checks"]
    check(sorted(k["braid_config"] for k in oc) == braid, "one output check per Braid configuration: %r" % oc)
    for k in oc:
        check(k["status"] == "ok" and k["numel"] > 0 and k["tolerance"] == 1e-4, "output check %r" % k)
        check(0 <= k["max_rel_err"] <= k["tolerance"] and k["max_abs_ort"] > 0, "errors %r" % k)
        check(k["max_abs_err"] <= k["max_rel_err"] * k["max_abs_ort"] * (1 + 1e-9) + 1e-30, "abs vs rel %r" % k)
    check(re.search(r"^output check %s: OK \(.*max abs err [0-9.e+-]+, max rel err [0-9.e+-]+ .*tolerance 0.0001\)"
                    % re.escape(model), p.stdout, re.M), "the OK line does not give the errors")
    # Memory: ORT's node process by PID, above Node's own; Braid's activation memory.
    base = c["ort_baseline_rss_kib"]
    check(base is not None and base > 10 * 1024, "Node's baseline RSS %r KiB" % base)
    for r in jrows:
        check(r["peak_rss_kib"] is not None and r["peak_rss_kib"] > 0, "%s: peak RSS %r" % (r["config"], r["peak_rss_kib"]))
        if r["runtime"] == "ort":
            check(r["peak_rss_kib"] > base and r["peak_activation_bytes"] is None, "ORT row %r" % r)
        else:
            check(r["peak_activation_bytes"] is not None, "Braid row without activation memory: %r" % r)
        check(r["throughput_per_s"] > 0 and r["seconds"] > 0, "throughput %r" % r)
        check(r["cpu_ms_per_request"] is not None and r["cores_busy"] is not None, "no CPU time: %r" % r)
    # Efficiency against the ceilings measured at start, for ORT's rows as for Braid's.
    check(c["fma_peak_gflops"] is not None and c["fma_peak_gflops"] > 0, "no FMA ceiling: %r" % c["fma_peak_gflops"])
    check(all(r["fma_peak_share"] is not None and r["fma_peak_share"] > 0 for r in jrows), "a row without %FMA")

    # Under interference: a quiet table, then a loaded one, each with every configuration.
    p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--iterations", "3", "--warmup", "1", "--mode", "adaptive",
             "--interference", "cpu:1", args.model])
    check(p.returncode == 0, "--interference cpu:1 run exited with %d" % p.returncode)
    phases = table_rows(p.stdout, model)
    check(len(phases) == 2 and all(len(ph) == 3 for ph in phases), "two tables of 3 rows, got %r" % phases)
    check("with a competing process (--interference cpu:1)" in p.stdout, "the loaded phase is not named")
    check(re.search(r"^output check %s: OK" % re.escape(model), p.stdout, re.M), "no output check line")

    # Two models together: both measured in one table per phase, ORT as a process per model.
    other = os.path.join(os.path.dirname(args.model), "ensemble.onnx")
    together_json = os.path.join(args.workdir, "together.json")
    p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--together", "--iterations", "3", "--warmup", "1", "--mode",
             "adaptive", "--json", together_json, args.model, other])
    check(p.returncode == 0, "--together run exited with %d" % p.returncode)
    check("models together" in p.stdout, "the header does not say the models ran together")
    with open(together_json) as f:
        rows = json.load(f)["compare"]["phases"][0]["rows"]
    # One process holds every Braid session: no CPU time per model; ORT has a process each.
    check(all((r["cpu_ms_per_request"] is None) == (r["runtime"] == "braid") for r in rows),
          "--together CPU time per row: %r" % [(r["runtime"], r["cpu_ms_per_request"]) for r in rows])
    for name in (model, "ensemble"):
        phases = table_rows(p.stdout, name)
        check(len(phases) == 1 and len(phases[0]) == 3, "%s: one table of 3 rows, got %r" % (name, phases))
        check(re.search(r"^output check %s: OK" % re.escape(name), p.stdout, re.M), "%s: no output check" % name)
    test_corrupted(args, model)
    test_lower_precisions(args, model)
    test_scenarios(args, model)
    test_reports(args, model)
    print("PASS ort")


def test_corrupted(args, model):
    """ORT's output changed on purpose: the per-element check must fail, and say so."""
    out_json = os.path.join(args.workdir, "corrupt.json")
    env = dict(os.environ, BRAID_ORT_CORRUPT_OUTPUT="1")
    p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--iterations", "2", "--warmup", "1", "--mode", "sequential",
             "--json", out_json, args.model], env=env)
    check(p.returncode == 1, "a corrupted ORT output must exit 1, got %d" % p.returncode)
    check(re.search(r"^output check %s: MISMATCH \(Braid sequential/f32 .*max rel err" % re.escape(model), p.stdout, re.M),
          "no MISMATCH line")
    with open(out_json) as f:
        k = json.load(f)["compare"]["output_checks"]
    check(len(k) == 1 and k[0]["status"] == "mismatch" and k[0]["max_rel_err"] > 0.009, "JSON %r" % k)


def test_lower_precisions(args, model):
    """bf16/int8/adaptive precision rows: their error is reported, never checked."""
    out_json = os.path.join(args.workdir, "precisions.json")
    p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--precision", "all", "--mode", "static",
             "--iterations", "2", "--warmup", "1", "--json", out_json, args.model])
    check(p.returncode == 0, "--precision all exited with %d" % p.returncode)
    check(re.search(r"^output check %s: OK \(Braid static/f32 vs" % re.escape(model), p.stdout, re.M), "no f32 check")
    for prec in ("bf16", "int8", "adaptive"):
        check(re.search(r"^output check %s static/%s: UNCHECKED \(not f32.*max rel err" % (re.escape(model), prec),
                        p.stdout, re.M), "no UNCHECKED line for %s" % prec)
    with open(out_json) as f:
        checks = {k["braid_config"]: k for k in json.load(f)["compare"]["output_checks"]}
    check(checks["static/f32"]["status"] == "ok", "f32 %r" % checks["static/f32"])
    for prec in ("bf16", "int8"):
        k = checks["static/" + prec]
        check(k["status"] == "unchecked" and k["tolerance"] is None and k["max_rel_err"] > 0,
              "%s: reported with its error, not checked: %r" % (prec, k))


def test_scenarios(args, model):
    """multi-stream, server and offline on both sides: rows, counts, throughput ratios."""
    sys.path.insert(0, os.path.join(args.source_dir, "tests", "unit", "harness"))
    from json_schema_lite import validate  # noqa: E402
    with open(os.path.join(args.source_dir, "docs", "braid-bench-report.schema.json")) as f:
        schema = json.load(f)
    cases = [("multi-stream", ["--concurrency", "2"]),
             ("server", ["--qps", "200", "--concurrency", "2", "--latency-bound", "1000"]),
             ("offline", ["--concurrency", "3"])]
    for scenario, extra in cases:
        out_json = os.path.join(args.workdir, scenario + ".json")
        p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--scenario", scenario, "--iterations", "8", "--warmup", "1",
                 "--mode", "adaptive", "--json", out_json] + extra + [args.model])
        check(p.returncode == 0, "%s: exited with %d" % (scenario, p.returncode))
        header = next(l for l in p.stdout.splitlines() if l.startswith("braid "))
        check(scenario in header, "%s: the header does not name the scenario" % scenario)
        phases = table_rows(p.stdout, model)
        check(len(phases) == 1 and len(phases[0]) == 4, "%s: one table of 4 rows, got %r" % (scenario, phases))
        conc = extra[extra.index("--concurrency") + 1]
        workers = [c for r, c in phases[0] if r == "ort" and c.startswith("workers=%s/intra=" % conc)]
        check(len(workers) == 1, "%s: no ORT row with %s worker threads: %r" % (scenario, conc, list(phases[0])))
        for (runtime, config), f in phases[0].items():
            check(f[0] == "8" and float(f[1]) > 0, "%s %s %s: runs/throughput %r" % (scenario, runtime, config, f))
        braid_row = phases[0][("braid", "adaptive/f32")]
        check(sum(1 for x in braid_row if x.endswith("x")) == 5, "%s: per s, p50, p99 and corrected ratios: %r"
              % (scenario, braid_row))
        check(re.search(r"^output check %s: OK" % re.escape(model), p.stdout, re.M), "%s: no output check" % scenario)
        with open(out_json) as f:
            report = json.load(f)
        errors = validate(report, schema)
        check(not errors, "%s: the report violates the schema:\n  %s" % (scenario, "\n  ".join(errors)))
        c = report["compare"]
        check(c["scenario"] == scenario, "compare.scenario %r" % c["scenario"])
        rows = c["phases"][0]["rows"]
        check(all(r["runs"] == 8 and r["throughput_per_s"] > 0 for r in rows), "%s: rows %r" % (scenario, rows))
        braid = next(r for r in rows if r["runtime"] == "braid")
        check((braid["peak_activation_bytes"] is not None) == (scenario == "multi-stream"),
              "%s: activation memory %r (measured through run() only)" % (scenario, braid["peak_activation_bytes"]))
        check(all((r["over_bound_share"] is not None) == (scenario == "server") for r in rows),
              "%s: over_bound_share only in the server scenario" % scenario)
        ratio = c["phases"][0]["ratios"][0]
        best = next(r for r in rows if r["config"] == ratio["ort_config"])
        want = braid["throughput_per_s"] / best["throughput_per_s"]
        check(abs(ratio["throughput_ratio"] - want) <= 1e-4 * want, "%s: throughput ratio %r" % (scenario, ratio))
        if scenario == "offline":  # ORT's best is the one with the highest throughput there
            check(best["throughput_per_s"] == max(r["throughput_per_s"] for r in rows if r["runtime"] == "ort"),
                  "offline: ORT's best is not its fastest")


def test_reports(args, model):
    """--trace and --html with --compare: the trace has Braid's runs per configuration, the
    page ORT's latency charts beside Braid's."""
    trace_path = os.path.join(args.workdir, "compare.trace.json")
    html_path = os.path.join(args.workdir, "compare.html")
    p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--iterations", "4", "--warmup", "2", "--trace", trace_path,
             "--html", html_path, args.model])
    check(p.returncode == 0, "--trace/--html with --compare exited with %d" % p.returncode)
    with open(trace_path) as f:
        trace = json.load(f)
    phases = trace["otherData"]["phases"]
    check(sorted(ph["mode"] for ph in phases) == ["adaptive/f32", "sequential/f32", "static/f32"],
          "trace phases %r" % phases)
    for ph in phases:
        runs = [e for e in trace["traceEvents"] if e.get("ph") == "X" and e.get("pid") == ph["pid"]
                and e.get("cat") != "request"]
        if ph["mode"] != "sequential/f32":  # sequential runs nodes, not subgraphs: no subgraph events
            check(ph["subgraphs"] > 0 and len(runs) >= ph["subgraphs"] * 4,
                  "%s: %d subgraph runs" % (ph["mode"], len(runs)))
        reqs = [e for e in trace["traceEvents"] if e.get("cat") == "request" and e.get("pid") == ph["pid"]]
        check(len(reqs) == 4, "%s: %d measured request events, expected 4" % (ph["mode"], len(reqs)))
    with open(html_path) as f:
        html = f.read()
    for svg in re.findall(r"<svg\b.*?</svg>", html, re.S):
        ET.fromstring(svg)  # well-formed
    check(len(re.findall(r'class="chart cdf-compare"', html)) == 1, "one CDF of every configuration")
    check(len(re.findall(r'<div class="config ort">', html)) == 2, "a histogram and CDF per ORT configuration")
    check(len(re.findall(r'<div class="config braid">', html)) == 3, "a histogram and CDF per Braid configuration")
    check("peak RSS MiB" in html and "Output check" in html, "the memory columns or output check table is missing")


def test_missing(args):
    env = dict(os.environ, BRAID_ORT_PREFIX=os.path.join(args.workdir, "no-ort-here"))
    os.makedirs(args.workdir, exist_ok=True)
    p = run([args.bench, "--compare", "ort", "--cached-ceilings", "--iterations", "1", args.model], env=env)
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
