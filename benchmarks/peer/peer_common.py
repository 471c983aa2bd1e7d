"""Shared by op_compare.py and e2e_compare.py: the two timing servers (`braid-bench --serve`
and ort_serve.mjs, same line protocol, see benchmarks/harness/serve.h), seeded input files,
the block-interleaved measuring loop, the Node binding overhead and the statistics.

Run the scripts with /usr/bin/python3 (Debian's python3-onnx and numpy)."""

import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BUILD = os.path.join(REPO, "build", "peerbench")
ORT_PREFIX = os.environ.get("BRAID_ORT_PREFIX", os.path.join(os.path.expanduser("~"), ".cache", "braid", "ort"))

NP_DTYPES = {TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64, TensorProto.INT64: np.int64,
             TensorProto.INT32: np.int32, TensorProto.UINT8: np.uint8, TensorProto.INT8: np.int8,
             TensorProto.BOOL: np.uint8}


def loadavg():
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def source_state(build_dir):
    """One line: the commit checked out, uncommitted changes under src/ and include/, and when
    braid-bench was built (the binary is what was measured, not the tree)."""
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "include"],
                               capture_output=True, text=True).stdout.strip().splitlines()
    except OSError:
        head, dirty = "?", []
    exe = os.path.join(build_dir, "benchmarks", "braid-bench")
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(exe))) if os.path.exists(exe) else "?"
    return "HEAD %s, %d uncommitted files under src/ include/, braid-bench built %s" % (head, len(dirty), built)


def write_inputs(model_path, out_dir, seed):
    """Writes in<k>.bin for every graph input of the model (not the initializers): floats
    uniform in [-1, 1) from numpy's PCG64 seeded with `seed`, integers zero; dynamic dims 1."""
    model = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    k = 0
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in tt.shape.dim]
        dt = NP_DTYPES[tt.elem_type]
        if dt in (np.float32, np.float64):
            data = rng.uniform(-1.0, 1.0, size=shape).astype(dt)
        else:
            data = np.zeros(shape, dtype=dt)
        data.tofile(os.path.join(out_dir, "in%d.bin" % k))
        k += 1


def identity_model(path, n=1000):
    """A single Identity over [1, n] floats: measures what a runtime costs per run call."""
    g = helper.make_graph([helper.make_node("Identity", ["X"], ["Y"])], "identity",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, n])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, n])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.save(m, path)


def cpu_ns(pid):
    """CPU time (ns) every thread of process `pid` has run so far (/proc/PID/task/*/schedstat,
    nanosecond resolution); None when the process is gone."""
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    total = 0
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just exited
    return total


def wait_idle(pid, quiet_s=0.005, limit_s=0.3, poll_s=0.001):
    """Waits until process `pid` has used less than 5% of a core over `quiet_s` (its thread
    pool has stopped spinning), at most `limit_s`. Returns the seconds waited."""
    start = time.monotonic()
    last_t, last_cpu = start, cpu_ns(pid)
    window = [(last_t, last_cpu)]
    while last_cpu is not None and time.monotonic() - start < limit_s:
        time.sleep(poll_s)
        now, used = time.monotonic(), cpu_ns(pid)
        if used is None:
            break
        window.append((now, used))
        while len(window) > 1 and now - window[0][0] > quiet_s:
            t0, c0 = window[0]
            if (used - c0) < 0.05 * (now - t0) * 1e9:
                return now - start
            window.pop(0)
    return time.monotonic() - start


class Server:
    """One timing process: load models once, then time blocks of runs on request. After a
    block, settle() waits for the process to go idle: ORT's intra-op pool spins for ~40 ms
    after its last run (at 2 threads it kept a whole core busy), and a block of the other
    runtime started in that window shares the cores with it."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env=env)
        self.settle_s = []  # how long each settle() waited

    def settle(self):
        self.settle_s.append(wait_idle(self.proc.pid))

    def _ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError("%s exited (rc %s) on request: %s" % (self.name, self.proc.poll(), line))
        reply = reply.strip()
        if not reply.startswith("ok"):
            raise RuntimeError("%s: %s (request: %s)" % (self.name, reply, line))
        return reply.split()[1:]

    def load(self, ident, mode, input_dir, model_path):
        self._ask("load %s %s %s %s" % (ident, mode, input_dir, model_path))

    def run(self, ident, warmup, iters):
        """-> (numel, sum, sum_abs, [ms per run])"""
        w = self._ask("run %s %d %d" % (ident, warmup, iters))
        return int(w[0]), float(w[1]), float(w[2]), [float(x) for x in w[3:]]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def braid_server(build_dir, threads, graph_optimization="basic", prefix=()):
    """Braid's timing server; `prefix` goes before it (e.g. taskset -c 1)."""
    exe = os.path.join(build_dir, "benchmarks", "braid-bench")
    if not os.path.exists(exe):
        sys.exit("missing %s: cmake --build %s --target braid-bench braid_models" % (exe, build_dir))
    return Server("braid", list(prefix) + [exe, "--serve", "--threads", str(threads), "--graph-optimization",
                                           graph_optimization])


def pin_prefix(cpus):
    """taskset's argv for a CPU list ('1', '0,1'), or () for none."""
    return () if cpus in (None, "", "none") else ("taskset", "-c", str(cpus))


def ort_server(threads, extra_args=(), prefix=()):
    """ORT's timing server; `extra_args` go to ort_serve.mjs (e.g. --profile DIR), `prefix`
    before node (e.g. taskset -c 1)."""
    env = dict(os.environ)
    env.setdefault("BRAID_ORT_DIR", os.path.join(ORT_PREFIX, "node_modules", "onnxruntime-node"))
    return Server("ort", list(prefix) + ["node", os.path.join(HERE, "ort_serve.mjs"), "--intra", str(threads)] +
                  list(extra_args), env=env)


def check_outputs(a, b, rtol):
    """a, b: (numel, sum, sum_abs). True when both runtimes produced the same output size and
    their sums agree to rtol of the sum of magnitudes."""
    if a[0] != b[0]:
        return False
    scale = max(a[2], b[2], 1e-30)
    return abs(a[1] - b[1]) <= rtol * scale and abs(a[2] - b[2]) <= rtol * scale


def block_iters(est_ms, block_ms, lo=2, hi=200):
    return int(min(hi, max(lo, math.ceil(block_ms / max(est_ms, 1e-3)))))


def interleave(items, configs, rounds, gap_s, on_round=None):
    """Times every item in every config, round after round; within a round each item runs
    its configs back to back as blocks, the order rotated every round so that drift and
    the 'first after a switch' position hit every config equally. After every block the
    server that ran it settles (Server.settle), then `gap_s` passes.
    items: [(item_key, {config_name: iters})]; configs: [(config_name, server, ident_fn)].
    Returns {(item_key, config_name): [[ms of round 0], [ms of round 1], ...]}."""
    samples = {}
    for r in range(rounds):
        for i, (key, iters) in enumerate(items):
            k = (r + i) % len(configs)
            order = configs[k:] + configs[:k]
            for name, server, ident in order:
                _, _, _, ms = server.run(ident(key), 1, iters[name])
                samples.setdefault((key, name), []).append(ms)
                server.settle()
                if gap_s > 0:
                    time.sleep(gap_s)
        if on_round:
            on_round(r)
    return samples


def summarize(rounds_ms):
    """Median / p99 over the pooled runs, and the median of every round."""
    pooled = np.concatenate([np.asarray(x) for x in rounds_ms])
    return {"runs": int(pooled.size), "median_ms": float(np.median(pooled)),
            "p99_ms": float(np.percentile(pooled, 99)), "min_ms": float(pooled.min()),
            "round_medians_ms": [float(np.median(x)) for x in rounds_ms]}


def round_ratios(a_rounds, b_rounds):
    """median(a) / median(b) of every round: each compares two blocks run back to back."""
    return [float(np.median(a) / np.median(b)) for a, b in zip(a_rounds, b_rounds)]


def median_ci(values, level=0.90, resamples=2000, seed=1):
    """A bootstrap confidence interval of the median of `values` (percentile method, seeded):
    the rounds are resampled with replacement."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return [float(v[0]), float(v[0])] if v.size else [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    meds = np.median(v[rng.integers(0, v.size, size=(resamples, v.size))], axis=1)
    lo = (1.0 - level) / 2.0
    return [float(np.quantile(meds, lo)), float(np.quantile(meds, 1.0 - lo))]


def round_ratio_range(a_rounds, b_rounds):
    """Min and max over rounds of median(a) / median(b): the spread of the ratio."""
    rs = round_ratios(a_rounds, b_rounds)
    return [min(rs), max(rs)]


def measure_overhead(braid, ort, work_dir, rounds=5, iters=200):
    """Median latency of a single Identity over 1000 floats in each server, interleaved."""
    path = os.path.join(work_dir, "identity.onnx")
    in_dir = os.path.join(work_dir, "identity_in")
    identity_model(path)
    write_inputs(path, in_dir, 1)
    braid.load("identity", "sequential", in_dir, path)
    ort.load("identity", "sequential", in_dir, path)
    s = interleave([("identity", {"braid": iters, "ort": iters})],
                   [("braid", braid, lambda k: k), ("ort", ort, lambda k: k)], rounds, 0.0)
    return {"braid_identity_ms": summarize(s[("identity", "braid")])["median_ms"],
            "ort_identity_ms": summarize(s[("identity", "ort")])["median_ms"]}


def dump_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def settle_summary(*servers):
    """'ort 41.0 ms, braid 1.2 ms': the median wait for each server to go idle after a block."""
    return ", ".join("%s %.1f ms" % (sv.name, 1e3 * float(np.median(sv.settle_s))) for sv in servers if sv.settle_s)
