#!/usr/bin/python3
"""Node by node, inside the model: Braid's per-node times (`braid-bench --profile --json`)
against ONNX Runtime 1.30's own profiler (enableProfiling, through ort_serve.mjs
--profile), in alternating blocks, so that what a layer costs in the model (weights and
activations as the layers before it left the caches) is compared, not the layer alone as
op_compare.py does. Op-level comparisons also charge ORT the NCHWc reorders around a lone
convolution, which in a model happen once at its edges.

One thread: Braid's sequential mode (which runs every node on one thread whatever its
thread count; its static and adaptive modes overlap nodes, so their node times do not
add up to a request) against ORT executionMode sequential, intraOpNumThreads 1, graph
optimization 'all', both processes pinned to the same CPU (--cpu). Each round runs one block of each
(`--runs` measured runs after one unmeasured); a node's figure is the median over the
rounds of its median within a block.

Nodes are matched by what they compute, not by name (ORT renames the nodes it fuses):
op type, the weight's shape for Conv/Gemm/MatMul, and the output's shape (ONNX shape
inference on the model), in order of occurrence. Braid's Conv+Relu+MaxPool is compared
with ORT's Conv plus the MaxPool that reads its output; what else one side ran as a node
of its own (ORT's NCHWc reorders) is listed as unmatched. ORT's profiler costs it a few
microseconds a node, part of it inside the node times: a third ORT server without the
profiler runs in the same rounds and the script prints what profiling added to ORT's
request time (ensemble +14%, inception +3% when this was written), so that against a
model of many small nodes the comparison is read as favouring Braid by up to that much.

    /usr/bin/python3 benchmarks/peer/node_compare.py --build build/dev --models resnet,inception
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common as pc  # noqa: E402

ORT_FUSED = {"FusedConv": "Conv", "FusedGemm": "Gemm", "FusedMatMul": "MatMul"}
WEIGHTED = {"Conv", "Gemm", "MatMul"}


def model_nodes(path):
    """{node name: (key, kind)}: key = (op, weight dims, output dims) for matching; kind a
    label for grouping ('Conv 3x3/s1 @28', or the op type)."""
    m = shape_inference.infer_shapes(onnx.load(path))
    inits = {i.name: tuple(i.dims) for i in m.graph.initializer}
    shapes = {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim)
              for v in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input)}
    out = {}
    for n in m.graph.node:
        w = inits.get(n.input[1]) if n.op_type in WEIGHTED and len(n.input) > 1 else None
        y = shapes.get(n.output[0], ())
        kind = n.op_type
        if n.op_type == "Conv" and w is not None and len(w) == 4:
            strides = next((list(a.ints) for a in n.attribute if a.name == "strides"), [1])
            kind = "Conv %dx%d/s%d @%s" % (w[2], w[3], strides[0], y[2] if len(y) > 2 else "?")
        out[n.name] = ((n.op_type, w, y), kind)
    return out


def ort_blocks(profile_path, runs):
    """ORT's profile -> per block, {node event name: (median us, op, weight dims, out dims)}.
    Runs are the 'model_run' events in order; each block is one unmeasured run then `runs`."""
    events = json.load(open(profile_path))
    model_runs = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                        if e.get("cat") == "Session" and e.get("name") == "model_run")
    starts = [s for s, _ in model_runs]
    per = collections.defaultdict(lambda: collections.defaultdict(list))
    info = {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        i = int(np.searchsorted(starts, e["ts"], side="right")) - 1
        if i < 0 or i % (runs + 1) == 0:
            continue  # before the first run, or a block's unmeasured run
        name = e["name"][:-len("_kernel_time")]
        per[i // (runs + 1)][name].append(e["dur"])
        if name not in info:
            a = e["args"]
            ins = [tuple(next(iter(s.values()))) for s in a.get("input_type_shape", [])]
            outs = [tuple(next(iter(s.values()))) for s in a.get("output_type_shape", [])]
            op = ORT_FUSED.get(a.get("op_name", "?"), a.get("op_name", "?"))
            info[name] = (op, ins[1] if op in WEIGHTED and len(ins) > 1 else None, outs[0] if outs else (), e["ts"],
                          ins[0] if ins else ())
    blocks = [{k: float(np.median(v)) for k, v in per[b].items()} for b in sorted(per)]
    return blocks, info


def braid_block(build, model, runs, cpu, json_path):
    exe = os.path.join(build, "benchmarks", "braid-bench")
    cmd = ([] if cpu is None else ["taskset", "-c", str(cpu)]) + [
        exe, model, "--mode", "sequential", "--threads", "1", "--iterations", str(runs), "--warmup", "1",
        "--profile", "--cached-ceilings", "--no-progress", "--json", json_path]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    r = json.load(open(json_path))["results"][0]
    return {n["name"]: (n["median_us"], n["op"]) for n in r["profile"]["nodes"]}, r


def compare(args, model_name, work):
    path = os.path.join(args.build, "models", model_name + ".onnx")
    nodes = model_nodes(path)
    in_dir = os.path.join(work, model_name + "_in")
    pc.write_inputs(path, in_dir, args.seed)
    prof_dir = os.path.join(work, model_name + "_prof")
    os.makedirs(prof_dir, exist_ok=True)
    pin = [] if args.cpu is None else ["taskset", "-c", str(args.cpu)]
    ort = pc.ort_server(1, ["--profile", prof_dir], pin)
    plain = pc.ort_server(1, [], pin)  # the same without the profiler: what profiling costs ORT
    braid_rounds, braid_p50 = [], []
    try:
        ort.load("m", "sequential", in_dir, path)
        plain.load("m", "sequential", in_dir, path)
        ort_ms, plain_ms = [], []
        for r in range(args.rounds):
            for side in (("ort", "braid", "plain") if r % 2 == 0 else ("plain", "braid", "ort")):
                if side == "plain":
                    plain_ms.append(plain.run("m", 1, args.runs)[3])
                    plain.settle()
                elif side == "ort":
                    ort_ms.append(ort.run("m", 1, args.runs)[3])
                    ort.settle()
                else:
                    b, res = braid_block(args.build, path, args.runs, args.cpu,
                                         os.path.join(work, "%s_b%d.json" % (model_name, r)))
                    braid_rounds.append(b)
                    braid_p50.append(res["latency_ms"]["p50"] if "latency_ms" in res else None)
        prof = ort._ask("endprofile m")[0]
    finally:
        ort.close()
        plain.close()
    ort_rounds, info = ort_blocks(prof, args.runs)

    # Match: per key, Braid's nodes in node order against ORT's in the order they ran.
    # Later passes match on op and output shape alone (ORT's profile leaves out the weights
    # it prepacked, e.g. Gemm's B), then with the output channels rounded up to 16 (ORT's
    # NCHWc layers compute 24 channels as 32).
    def keys(op, w, y):
        r16 = lambda c: (c + 15) // 16 * 16
        wp = (r16(w[0]), r16(w[1])) + tuple(w[2:]) if w and len(w) == 4 else w
        yp = (y[0], r16(y[1])) + tuple(y[2:]) if len(y) > 2 else y
        return [(op, w, y), (op, y), (op, wp, yp)]
    by_key = collections.defaultdict(list)
    for name, (op, w, y, ts, _) in sorted(info.items(), key=lambda kv: kv[1][3]):
        for p, k in enumerate(keys(op, w, y)):
            by_key[(p, k)].append(name)
    match, used = {}, set()
    for p in range(3):
        for name in braid_rounds[0]:
            if name in match or name not in nodes:
                continue
            pk = keys(*nodes[name][0])[p]
            cands = [c for c in by_key[(p, pk)] if c not in used]
            if cands:
                match[name] = cands[0]
                used.add(cands[0])
    rows = []
    for name in braid_rounds[0]:
        kind = nodes[name][1] if name in nodes else braid_rounds[0][name][1]
        o_name = match.get(name)
        b_us = float(np.median([br[name][0] for br in braid_rounds if name in br]))
        o_us = float(np.median([orr[o_name] for orr in ort_rounds if o_name in orr])) if o_name else None
        fused = braid_rounds[0][name][1]
        if "+" in fused and "MaxPool" in fused:
            kind += " +pool"
            # Braid pools inside the convolution; ORT runs the pool as a node of its own,
            # which reads the convolution's output: that pool's time goes with this row.
            y = nodes[name][0][2] if name in nodes else None
            pool = next((k for k, v in sorted(info.items(), key=lambda kv: kv[1][3])
                         if v[0] == "MaxPool" and k not in used and y and tuple(v[4]) == tuple(y)), None)
            if pool and o_us is not None:
                used.add(pool)
                o_name += " + " + pool
                o_us += float(np.median([orr[pool] for orr in ort_rounds if pool in orr]))
        rows.append({"node": name, "braid_op": fused, "kind": kind, "ort_node": o_name, "braid_us": b_us,
                     "ort_us": o_us})
    ort_only = [{"ort_node": k, "op": info[k][0], "ort_us": float(np.median([orr[k] for orr in ort_rounds if k in orr]))}
                for k in info if k not in used]
    braid_total = sum(r["braid_us"] for r in rows)
    ort_total = sum(r["ort_us"] or 0 for r in rows) + sum(r["ort_us"] for r in ort_only)
    round_ratios = [sum(v[0] for v in br.values()) / sum(orr.values()) for br, orr in zip(braid_rounds, ort_rounds)]
    return {"model": model_name, "braid_node_ms": braid_total / 1e3, "ort_node_ms": ort_total / 1e3,
            "ratio": braid_total / ort_total, "round_ratios": round_ratios,
            "braid_request_p50_ms": [x for x in braid_p50 if x is not None],
            "ort_request_p50_ms": [float(np.median(x)) for x in ort_ms],
            "ort_unprofiled_request_p50_ms": [float(np.median(x)) for x in plain_ms],
            "ort_profiler_cost": float(np.median([np.median(a) / np.median(b) for a, b in zip(ort_ms, plain_ms)])),
            "nodes": rows, "ort_only": ort_only}


def report(res, top):
    print("\n## %s: nodes %.3f ms (Braid) / %.3f ms (ORT) per request = %.3f; per round %s" % (
        res["model"], res["braid_node_ms"], res["ort_node_ms"], res["ratio"],
        " ".join("%.3f" % x for x in res["round_ratios"])))
    print("request p50 per round (ms): Braid %s; ORT %s (ORT's includes the Node binding)" % (
        " ".join("%.2f" % x for x in res["braid_request_p50_ms"]), " ".join("%.2f" % x for x in res["ort_request_p50_ms"])))
    print("ORT's request p50 with its profiler / without (same rounds, median): %.3f; Braid's node tracing costs "
          "~0.2 us a node (BM_NodeTracing)" % res["ort_profiler_cost"])
    kinds = collections.OrderedDict()
    for r in res["nodes"]:
        k = kinds.setdefault(r["kind"], [0, 0.0, 0.0, 0])
        k[0] += 1
        k[1] += r["braid_us"]
        if r["ort_us"] is not None:
            k[2] += r["ort_us"]
            k[3] += 1
    print("%-24s %5s %10s %10s %7s %9s" % ("kind", "nodes", "Braid us", "ORT us", "ratio", "Braid-ORT"))
    for kind, (n, b, o, matched) in sorted(kinds.items(), key=lambda kv: -(kv[1][1] - kv[1][2])):
        print("%-24s %5d %10.0f %10s %7s %+9.0f%s" % (kind, n, b, "%.0f" % o if matched else "-",
                                                     "%.3f" % (b / o) if o > 0 else "-", b - o,
                                                     "" if matched == n else "  (%d unmatched)" % (n - matched)))
    if res["ort_only"]:
        g = collections.Counter()
        for r in res["ort_only"]:
            g[r["op"]] += r["ort_us"]
        print("ORT nodes with no Braid node (fused differently): " +
              ", ".join("%s %.0f us" % kv for kv in g.most_common()))
    matched = [r for r in res["nodes"] if r["ort_us"] is not None]
    matched.sort(key=lambda r: -(r["braid_us"] - r["ort_us"]))
    print("largest differences (Braid - ORT):")
    for r in matched[:top] + ([None] + matched[-max(1, top // 3):] if len(matched) > top else []):
        if r is None:
            print("  ...")
            continue
        print("  %-16s %-20s %-26s %8.0f %8.0f %6.2f %+7.0f" % (r["node"], r["braid_op"], r["kind"], r["braid_us"],
                                                              r["ort_us"], r["braid_us"] / r["ort_us"],
                                                              r["braid_us"] - r["ort_us"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=pc.DEFAULT_BUILD)
    ap.add_argument("--models", default="resnet,inception")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--runs", type=int, default=20, help="measured runs per block")
    ap.add_argument("--cpu", default=None, help="pin both to this CPU (default: 1 where there are two; 'none')")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.cpu is None:
        args.cpu = 1 % os.cpu_count()
    elif args.cpu == "none":
        args.cpu = None
    print("# Braid vs ONNX Runtime 1.30, node by node in the model (%d rounds of %d runs, 1 thread%s)" % (
        args.rounds, args.runs, "" if args.cpu is None else ", both pinned to CPU %s" % args.cpu))
    print("command: /usr/bin/python3 " + " ".join(sys.argv))
    print("source: " + pc.source_state(args.build))
    results = []
    with tempfile.TemporaryDirectory(prefix="braid_node_compare_") as work:
        for m in args.models.split(","):
            res = compare(args, m, work)
            report(res, args.top)
            results.append(res)
    if args.json:
        pc.dump_json(args.json, {"command": sys.argv, "threads": 1, "rounds": args.rounds,
                                 "runs": args.runs, "cpu": args.cpu, "results": results})


if __name__ == "__main__":
    main()
