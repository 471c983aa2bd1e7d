#!/usr/bin/python3
"""Per-op comparison of Braid with ONNX Runtime 1.30 (CPU EP): single-op ONNX models for
every distinct Conv layer of the bundled inception and resnet models (read from the built
models with ONNX shape inference; Conv with bias, no activation), their MaxPool layers
("GFLOP" counts one max per tap), and MatMul/Gemm at
512^3, 1024^3 and the batch-1 shapes of the bundled wide_mlp, transformer and classifier
heads, with seeded random weights and inputs. Both runtimes run as warm servers
(`braid-bench --serve`, ort_serve.mjs) and are timed in alternating blocks over several
rounds, at 1 and 2 threads.

Braid: sequential mode at 1 thread, static mode at 2 (sequential runs every node on one
thread); every session shares a Runtime of N threads. ORT: executionMode sequential,
intraOpNumThreads N, graph optimization 'all'. The Node binding's per-run overhead is
measured with a single Identity and subtracted from ORT's medians for the "corrected" ratio.
That overhead grows with the output (the binding copies every output into a new JS
buffer: 0.02 ms at 4 KB, 0.08-0.14 ms at 512 KB, 0.36 ms at 1 MB), so "corr" still
favours Braid on ops with large outputs. "corr out" subtracts instead ORT's time for an
Identity over the op's output shape (timed in the same rounds): that also takes away ORT's
own copy inside Identity, so it favours ORT; the fair ratio lies between the two.

    /usr/bin/python3 benchmarks/peer/op_compare.py [--quick] [--json out.json]
"""

import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_common as pc  # noqa: E402


# ---------------------------------------------------------------------------------------
# Shapes

def conv_layers(models_dir, names=("resnet", "inception")):
    """Distinct Conv layers of the given models, in model order: dicts with the input
    shape, weight shape, strides, pads, dilations, group and a readable name."""
    seen, layers = set(), []
    for model_name in names:
        m = shape_inference.infer_shapes(onnx.load(os.path.join(models_dir, model_name + ".onnx")))
        g = m.graph
        shapes = {}
        for vi in list(g.input) + list(g.value_info) + list(g.output):
            shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        for init in g.initializer:
            shapes[init.name] = list(init.dims)
        for n in g.node:
            if n.op_type != "Conv":
                continue
            a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
            x_shape, w_shape = shapes[n.input[0]], shapes[n.input[1]]
            if any(d <= 0 for d in x_shape):
                raise SystemExit("%s: no static shape for the input of Conv %s" % (model_name, n.name))
            if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                raise SystemExit("%s: auto_pad Conv not handled" % model_name)
            kh, kw = w_shape[2], w_shape[3]
            layer = {
                "x": x_shape, "w": w_shape, "bias": len(n.input) > 2 and n.input[2] != "",
                "strides": list(a.get("strides", [1, 1])), "pads": list(a.get("pads", [0, 0, 0, 0])),
                "dilations": list(a.get("dilations", [1, 1])), "group": int(a.get("group", 1)),
            }
            key = repr(sorted(layer.items()))
            if key in seen:
                continue
            seen.add(key)
            ho = (x_shape[2] + layer["pads"][0] + layer["pads"][2] - layer["dilations"][0] * (kh - 1) - 1) \
                // layer["strides"][0] + 1
            wo = (x_shape[3] + layer["pads"][1] + layer["pads"][3] - layer["dilations"][1] * (kw - 1) - 1) \
                // layer["strides"][1] + 1
            layer["y"] = [x_shape[0], w_shape[0], ho, wo]
            layer["flops"] = 2.0 * w_shape[0] * ho * wo * (x_shape[1] // layer["group"]) * kh * kw
            layer["name"] = "%s/%dx%d_%d-%d_%d_s%d%s" % (model_name, kh, kw, x_shape[1], w_shape[0], x_shape[2],
                                                        layer["strides"][0], "_g%d" % layer["group"]
                                                        if layer["group"] > 1 else "")
            layer["group_name"] = "conv"
            layers.append(layer)
    return layers


def pool_layers(models_dir, names=("resnet", "inception")):
    """Distinct MaxPool layers of the given models (the ops between the convolutions that cost
    most in Braid; see docs/kernels.md)."""
    seen, layers = set(), []
    for model_name in names:
        m = shape_inference.infer_shapes(onnx.load(os.path.join(models_dir, model_name + ".onnx")))
        g = m.graph
        shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
                  for vi in list(g.input) + list(g.value_info) + list(g.output)}
        for n in g.node:
            if n.op_type != "MaxPool":
                continue
            a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
            x, y = shapes[n.input[0]], shapes[n.output[0]]
            layer = {"x": x, "y": y, "kernel_shape": list(a["kernel_shape"]), "strides": list(a.get("strides", [1, 1])),
                     "pads": list(a.get("pads", [0, 0, 0, 0]))}
            key = repr(sorted(layer.items()))
            if key in seen:
                continue
            seen.add(key)
            k = layer["kernel_shape"]
            layer["flops"] = float(np.prod(y)) * k[0] * k[1]  # one max per tap
            layer["name"] = "%s/maxpool%dx%d_%d_%d_s%d" % (model_name, k[0], k[1], x[1], x[2], layer["strides"][0])
            layer["group_name"] = "pool"
            layers.append(layer)
    return layers


def gemm_shapes():
    """MatMul / Gemm shapes: (name, kind, A shape, B shape, B constant, flops).
    kind 'matmul' = MatMul(A, B); 'gemm' = Gemm(A, B^T, bias) with transB=1 (the classifiers)."""
    out = []

    def mm(name, a, b, const=True):
        m, k = a[-2], a[-1]
        n = b[-1]
        batch = int(np.prod(a[:-2])) if len(a) > 2 else 1
        out.append({"name": name, "kind": "matmul", "a": a, "b": b, "b_const": const,
                    "flops": 2.0 * batch * m * n * k, "group_name": "gemm"})

    def gemm(name, m, n, k):
        out.append({"name": name, "kind": "gemm", "a": [m, k], "b": [n, k], "b_const": True,
                    "flops": 2.0 * m * n * k, "group_name": "gemm"})

    mm("square/512x512x512", [512, 512], [512, 512])
    mm("square/1024x1024x1024", [1024, 1024], [1024, 1024])
    mm("wide_mlp/1x512x512", [1, 512], [512, 512])
    mm("transformer/qkv_128x64x256", [1, 128, 256], [256, 64])
    mm("transformer/scores_128x128x64", [1, 128, 64], [1, 64, 128], const=False)
    mm("transformer/context_128x64x128", [1, 128, 128], [1, 128, 64], const=False)
    mm("transformer/proj_128x256x256", [1, 128, 256], [256, 256])
    mm("transformer/ffn1_128x1024x256", [1, 128, 256], [256, 1024])
    mm("transformer/ffn2_128x256x1024", [1, 128, 1024], [1024, 256])
    gemm("inception/fc_1x1000x1024", 1, 1000, 1024)
    gemm("resnet/fc_1x1000x512", 1, 1000, 512)
    return out


# ---------------------------------------------------------------------------------------
# Models

def save(graph, path):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="op_compare")
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, path)


def conv_model(layer, path, rng):
    cout, cin_g, kh, kw = layer["w"]
    fan_in = cin_g * kh * kw
    w = (rng.standard_normal(layer["w"]) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    b = (rng.standard_normal([cout]) * 0.05).astype(np.float32)
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")]
    node = helper.make_node("Conv", ["X", "W", "B"], ["Y"], kernel_shape=[kh, kw], strides=layer["strides"],
                            pads=layer["pads"], dilations=layer["dilations"], group=layer["group"])
    g = helper.make_graph([node], "conv", [helper.make_tensor_value_info("X", TensorProto.FLOAT, layer["x"])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, layer["y"])], inits)
    save(g, path)


def pool_model(layer, path, rng):
    node = helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=layer["kernel_shape"], strides=layer["strides"],
                            pads=layer["pads"])
    g = helper.make_graph([node], "pool", [helper.make_tensor_value_info("X", TensorProto.FLOAT, layer["x"])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, layer["y"])])
    save(g, path)


def gemm_model(s, path, rng):
    k = s["a"][-1]
    inputs = [helper.make_tensor_value_info("A", TensorProto.FLOAT, s["a"])]
    inits = []
    b = (rng.standard_normal(s["b"]) * np.sqrt(1.0 / k)).astype(np.float32)
    if s["b_const"]:
        inits.append(numpy_helper.from_array(b, "B"))
    else:
        inputs.append(helper.make_tensor_value_info("B", TensorProto.FLOAT, s["b"]))
    if s["kind"] == "gemm":
        c = (rng.standard_normal([s["b"][0]]) * 0.05).astype(np.float32)
        inits.append(numpy_helper.from_array(c, "C"))
        node = helper.make_node("Gemm", ["A", "B", "C"], ["Y"], transB=1)
    else:
        node = helper.make_node("MatMul", ["A", "B"], ["Y"])
    y = [s["a"][0], s["b"][0]] if s["kind"] == "gemm" else s["a"][:-1] + [s["b"][-1]]
    g = helper.make_graph([node], "gemm", inputs, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, y)], inits)
    save(g, path)


# ---------------------------------------------------------------------------------------
# Measuring

def output_numel(it):
    if "y" in it:
        return int(np.prod(it["y"]))
    if it["kind"] == "gemm":
        return it["a"][0] * it["b"][0]
    return int(np.prod(it["a"][:-1])) * it["b"][-1]


def fmt_row(cols, widths):
    return " ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cols, widths)))


def run_threads(threads, items, args, work):
    braid_mode = args.braid_mode if args.braid_mode != "auto" else ("sequential" if threads == 1 else "static")
    braid = pc.braid_server(args.build, threads, args.graph_optimization)
    ort = pc.ort_server(threads)
    load_start = pc.loadavg()
    try:
        for it in items:
            braid.load(it["id"], braid_mode, it["in_dir"], it["path"])
            ort.load(it["id"], "sequential", it["in_dir"], it["path"])
        overhead = pc.measure_overhead(braid, ort, work)
        # ORT's Identity over each output size (one model per distinct size).
        twins = {}
        if args.output_correction:
            for it in items:
                n = output_numel(it)
                if n not in twins:
                    twin = os.path.join(work, "identity_%d.onnx" % n)
                    pc.identity_model(twin, n)
                    pc.write_inputs(twin, twin[:-5] + "_in", 1)
                    ort.load("id%d" % n, "sequential", twin[:-5] + "_in", twin)
                    twins[n] = "id%d" % n
                it["twin"] = twins[n]
        # Calibrate the block sizes and check that both runtimes computed the same output.
        mismatches = []
        iters = {}
        for it in items:
            rb = braid.run(it["id"], 2, 3)
            ro = ort.run(it["id"], 2, 3)
            if not pc.check_outputs(rb[:3], ro[:3], args.rtol):
                mismatches.append(it["name"])
            it["check"] = {"braid": rb[:3], "ort": ro[:3]}
            iters[it["id"]] = {"braid": pc.block_iters(float(np.median(rb[3])), args.block_ms),
                               "ort": pc.block_iters(float(np.median(ro[3])), args.block_ms)}
            if args.output_correction:
                # The twin's blocks are a third as long: its median needs fewer runs.
                rt = ort.run(it["twin"], 2, 3)
                iters[it["id"]]["ort_out"] = pc.block_iters(float(np.median(rt[3])), args.block_ms / 3)
        loads = []
        t0 = time.time()
        twin_of = {it["id"]: it.get("twin") for it in items}
        configs = [("braid", braid, lambda k: k), ("ort", ort, lambda k: k)]
        if args.output_correction:
            configs.append(("ort_out", ort, lambda k: twin_of[k]))
        samples = pc.interleave([(it["id"], iters[it["id"]]) for it in items], configs,
                                args.rounds, args.gap_ms / 1000.0,
                                on_round=lambda r: loads.append(pc.loadavg()[0]))
        elapsed = time.time() - t0
        settle = pc.settle_summary(ort, braid)
    finally:
        braid.close()
        ort.close()
    rows = []
    for it in items:
        b = pc.summarize(samples[(it["id"], "braid")])
        o = pc.summarize(samples[(it["id"], "ort")])
        ort_corr = max(o["median_ms"] - overhead["ort_identity_ms"], 1e-6)
        out_ms = pc.summarize(samples[(it["id"], "ort_out")])["median_ms"] if args.output_correction else None
        rows.append({
            "ort_output_identity_ms": out_ms,
            "ratio_corrected_output": b["median_ms"] / max(o["median_ms"] - out_ms, 1e-6) if out_ms is not None else None,
            "name": it["name"], "group": it["group_name"], "gflop": it["flops"] * 1e-9, "threads": threads,
            "braid_mode": braid_mode, "braid": b, "ort": o,
            "ratio": b["median_ms"] / o["median_ms"], "ratio_corrected": b["median_ms"] / ort_corr,
            "ratio_round_range": pc.round_ratio_range(samples[(it["id"], "braid")], samples[(it["id"], "ort")]),
            "braid_gflops": it["flops"] * 1e-6 / b["median_ms"], "ort_gflops": it["flops"] * 1e-6 / o["median_ms"],
            "outputs_agree": it["name"] not in mismatches, "check": it["check"],
        })
    return {"threads": threads, "braid_mode": braid_mode, "overhead": overhead, "rows": rows,
            "load_start": load_start, "load_per_round": loads, "load_end": pc.loadavg(), "settle": settle, "seconds": elapsed,
            "mismatches": mismatches}


def print_threads(res):
    t = res["threads"]
    print("\n## %d thread%s (Braid %s; ORT sequential, intra-op %d)" % (t, "s" if t > 1 else "", res["braid_mode"], t))
    print("load average (1 min) at start %.2f, per round %s, at end %.2f; %.0f s" % (
        res["load_start"][0], " ".join("%.1f" % x for x in res["load_per_round"]), res["load_end"][0], res["seconds"]))
    print("waited after a block for the server to go idle (median): %s" % res["settle"])
    ov = res["overhead"]
    print("Identity(1x1000): Braid %.4f ms, ORT via Node %.4f ms (subtracted from ORT for 'corr')" % (
        ov["braid_identity_ms"], ov["ort_identity_ms"]))
    w = [36, 7, 9, 9, 7, 7, 9, 8, 13, 7, 7]
    print(fmt_row(["shape", "GFLOP", "Braid ms", "ORT ms", "raw", "corr", "ORT id", "corr out", "round range",
                   "B GF/s", "O GF/s"], w))
    for r in res["rows"]:
        out = r["ratio_corrected_output"]
        print(fmt_row([r["name"] + ("" if r["outputs_agree"] else " (MISMATCH)"), "%.4f" % r["gflop"],
                       "%.4f" % r["braid"]["median_ms"], "%.4f" % r["ort"]["median_ms"], "%.3f" % r["ratio"],
                       "%.3f" % r["ratio_corrected"],
                       "-" if out is None else "%.4f" % r["ort_output_identity_ms"],
                       "-" if out is None else "%.3f" % out, "%.2f-%.2f" % tuple(r["ratio_round_range"]),
                       "%.0f" % r["braid_gflops"], "%.0f" % r["ort_gflops"]], w))


def group_summary(all_res):
    out = []
    for res in all_res:
        for group in ("conv", "pool", "gemm"):
            rows = [r for r in res["rows"] if r["group"] == group]
            if not rows:
                continue
            sb = sum(r["braid"]["median_ms"] for r in rows)
            so = sum(r["ort"]["median_ms"] for r in rows)
            so_corr = sum(max(r["ort"]["median_ms"] - res["overhead"]["ort_identity_ms"], 1e-6) for r in rows)
            with_out = [r for r in rows if r["ratio_corrected_output"] is not None]
            so_out = sum(max(r["ort"]["median_ms"] - r["ort_output_identity_ms"], 1e-6) for r in with_out)
            out.append({"threads": res["threads"], "group": group, "shapes": len(rows),
                        "median_ratio_corrected_output":
                            float(np.median([r["ratio_corrected_output"] for r in with_out])) if with_out else None,
                        "sum_ratio_corrected_output": sb / so_out if with_out else None,
                        "median_ratio": float(np.median([r["ratio"] for r in rows])),
                        "median_ratio_corrected": float(np.median([r["ratio_corrected"] for r in rows])),
                        "sum_braid_ms": sb, "sum_ort_ms": so, "sum_ratio": sb / so, "sum_ratio_corrected": sb / so_corr,
                        "slower_corrected": sum(1 for r in rows if r["ratio_corrected"] > 1.0)})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=pc.DEFAULT_BUILD, help="Braid build dir (braid-bench, models/)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--graph-optimization", default="basic", help="Braid's load-time fusion: none|basic")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--block-ms", type=float, default=50.0, help="target length of one timed block")
    ap.add_argument("--gap-ms", type=float, default=5.0, help="pause between blocks, after the server that ran one has gone idle")
    ap.add_argument("--groups", default="conv,pool,gemm", help="conv, pool (MaxPool), gemm")
    ap.add_argument("--models", default="resnet,inception",
                    help="bundled models whose Conv and MaxPool layers are compared (e.g. ensemble)")
    ap.add_argument("--braid-mode", default="auto", help="auto (sequential at 1 thread, static above) or a mode")
    ap.add_argument("--quick", action="store_true", help="a subset of shapes, 3 rounds")
    ap.add_argument("--no-output-correction", dest="output_correction", action="store_false",
                    help="skip ORT's Identity over each op's output ('corr out'; a third of the time)")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", default=None, help="where models and inputs go (default: a temp dir)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.quick:
        args.rounds = min(args.rounds, 3)

    work = args.work or tempfile.mkdtemp(prefix="braid_op_compare_")
    os.makedirs(work, exist_ok=True)
    groups = set(args.groups.split(","))
    items = []
    if "conv" in groups:
        convs = conv_layers(os.path.join(args.build, "models"), args.models.split(","))
        if args.quick:
            convs = convs[::5]
        items += convs
    if "pool" in groups:
        items += pool_layers(os.path.join(args.build, "models"), args.models.split(","))
    if "gemm" in groups:
        gemms = gemm_shapes()
        if args.quick:
            gemms = [g for g in gemms if "1024x1024x1024" not in g["name"]]
        items += gemms
    rng = np.random.default_rng(args.seed)
    for i, it in enumerate(items):
        it["id"] = "op%d" % i
        it["path"] = os.path.join(work, it["id"] + ".onnx")
        it["in_dir"] = os.path.join(work, it["id"] + "_in")
        {"conv": conv_model, "pool": pool_model, "gemm": gemm_model}[it["group_name"]](it, it["path"], rng)
        pc.write_inputs(it["path"], it["in_dir"], args.seed + i)

    print("# Braid vs ONNX Runtime 1.30, per op (%d shapes, %d rounds, blocks of ~%.0f ms)" % (
        len(items), args.rounds, args.block_ms))
    print("command: /usr/bin/python3 " + " ".join(sys.argv))
    print("source: " + pc.source_state(args.build))
    print("machine: %s, %d CPUs, %s" % (platform.processor() or platform.machine(), os.cpu_count(),
                                        open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0]
                                        .strip(" :\t")))
    all_res = []
    for t in [int(x) for x in args.threads.split(",")]:
        res = run_threads(t, items, args, work)
        print_threads(res)
        all_res.append(res)
    summary = group_summary(all_res)
    print("\n## Summary (ratio = Braid / ORT; corr: ORT minus the Node Identity(1x1000) overhead;"
          " corr out: ORT minus an Identity over the op's output)")
    w = [8, 6, 7, 10, 10, 13, 10, 10, 13, 12]
    print(fmt_row(["threads", "group", "shapes", "med raw", "med corr", "med corr out", "sum raw", "sum corr",
                   "sum corr out", "slower(corr)"], w))
    na = lambda x: "-" if x is None else "%.3f" % x  # noqa: E731
    for s in summary:
        print(fmt_row([s["threads"], s["group"], s["shapes"], "%.3f" % s["median_ratio"],
                       "%.3f" % s["median_ratio_corrected"], na(s["median_ratio_corrected_output"]),
                       "%.3f" % s["sum_ratio"], "%.3f" % s["sum_ratio_corrected"],
                       na(s["sum_ratio_corrected_output"]), s["slower_corrected"]], w))
    mism = sorted({m for r in all_res for m in r["mismatches"]})
    print("outputs agree (rtol %g of sum |y|): %s" % (args.rtol, "all" if not mism else "NOT for " + ", ".join(mism)))
    if args.json:
        pc.dump_json(args.json, {"command": sys.argv, "source": pc.source_state(args.build),
                                 "rounds": args.rounds, "block_ms": args.block_ms,
                                 "results": all_res, "summary": summary})
    return 1 if mism else 0


if __name__ == "__main__":
    sys.exit(main())
