#!/usr/bin/env node
// The ONNX Runtime side of benchmarks/peer/: the same request protocol as
// `braid-bench --serve` (benchmarks/harness/serve.h), so op_compare.py / e2e_compare.py can
// alternate the two runtimes block by block with both processes already warm.
//
//   node ort_serve.mjs --intra N          (ORT sessions: executionMode 'sequential',
//                                          intraOpNumThreads N, interOpNumThreads 1,
//                                          graphOptimizationLevel 'all', CPU EP)
//   node ort_serve.mjs --mode parallel --inter N [--intra M]
//                                         (executionMode 'parallel', interOpNumThreads N,
//                                          intraOpNumThreads M, default 1)
//   ... --profile DIR                      ORT's profiler on (enableProfiling, files DIR/ID_*.json;
//                                          node_compare.py reads them)
//   ... --workers K                        also K worker threads, each with its own session
//                                          of every model: `scenario` runs go to an idle
//                                          one, so K of them overlap (`run`, `outputs`:
//                                          the main thread's session)
//   stdin                                  stdout
//   load ID MODE INPUT_DIR MODEL.onnx      ok ID | err MESSAGE     (MODE is ignored)
//   run ID WARMUP ITERS                    ok NUMEL SUM SUM_ABS MS_1 ... MS_ITERS | err MESSAGE
//   scenario ID KIND CONC QPS SECONDS ITERS SEED
//                                          ok WALL_S MS_1 ... MS_N | err MESSAGE
//   outputs ID                             ok NAME DTYPE NUMEL BASE64 [NAME DTYPE NUMEL BASE64 ...]
//                                          (NAME URI-encoded; BASE64 '-' when empty or not numeric)
//   endprofile ID                          ok PATH   (--profile: ends model ID's profile, PATH its file)
//   ping                                   ok
//   quit
//
// `scenario` runs one block of a LoadGen scenario after one unmeasured run, as braid-bench's
// scenarios.h does for Braid: KIND multi-stream (CONC clients, each awaiting its run before
// the next), server (Poisson arrivals at QPS from a generator seeded with SEED, at most CONC
// in flight; latency from the scheduled arrival, so waiting counts) or offline (CONC runs
// in flight, as fast as they finish; latency from submission). ITERS > 0: that many
// requests; else SECONDS of arrivals. WALL_S is the block's wall time. Note: in
// onnxruntime-node 1.30 `session.run` resolves through setImmediate and then runs the
// binding synchronously on the JS thread (dist/backend.js), so concurrent runs of one
// process queue one behind the other; each still uses ORT's intra-op threads.
// `outputs` runs the model once and returns every output's values, raw little-endian in
// base64 (DTYPE as ort.Tensor.type). Test only: with BRAID_ORT_CORRUPT_OUTPUT=1 in the
// environment the first float32 output's first element is changed by 1% of the output's
// largest magnitude (plus 1), so that a per-element check must fail.
//
// Input k is INPUT_DIR/in<k>.bin (raw little-endian, the input's dtype, dynamic dims = 1,
// or the dims listed in INPUT_DIR/in<k>.shape when that file exists: "1 3 224 224").
// Latency is the wall time of `await session.run(feeds)`: it includes the Node binding's
// overhead (measure it with an Identity model and subtract; see BENCHMARKS.md).
// Module: onnxruntime-node from $BRAID_ORT_DIR
//   (default ~/.cache/braid/ort/node_modules/onnxruntime-node).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const dir = process.env.BRAID_ORT_DIR ||
  path.join(os.homedir(), '.cache', 'braid', 'ort', 'node_modules', 'onnxruntime-node');
const ort = createRequire(import.meta.url)(path.resolve(dir));

const args = isMainThread ? process.argv.slice(2) : workerData.args;
let intra = 1, inter = 1, mode = 'sequential', workers = 0, profileDir = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--intra') intra = Number(args[++i]);
  else if (args[i] === '--inter') inter = Number(args[++i]);
  else if (args[i] === '--mode') mode = args[++i];
  else if (args[i] === '--workers') workers = Number(args[++i]);
  else if (args[i] === '--profile') profileDir = path.resolve(args[++i]);
  else { console.error(`ort_serve: unknown argument ${args[i]}`); process.exit(2); }
}
if (!(intra >= 1)) { console.error('ort_serve: bad --intra'); process.exit(2); }
if (!(inter >= 1)) { console.error('ort_serve: bad --inter'); process.exit(2); }
if (mode !== 'sequential' && mode !== 'parallel') { console.error('ort_serve: bad --mode'); process.exit(2); }
if (!(workers >= 0 && Number.isInteger(workers))) { console.error('ort_serve: bad --workers'); process.exit(2); }

const TYPED = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };
const models = new Map();

async function load(id, inputDir, file) {
  const sess = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: mode,
    intraOpNumThreads: intra, interOpNumThreads: mode === 'parallel' ? inter : 1,
    ...(profileDir && isMainThread ? { enableProfiling: true, profileFilePrefix: path.join(profileDir, id) } : {}),
  });
  const feeds = {};
  sess.inputMetadata.forEach((md, k) => {
    const shapeFile = path.join(inputDir, `in${k}.shape`);
    const shape = fs.existsSync(shapeFile)
      ? fs.readFileSync(shapeFile, 'utf8').trim().split(/\s+/).filter((d) => d !== '').map(Number)
      : md.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const Typed = TYPED[md.type];
    if (!Typed) throw new Error(`input '${md.name}' has unsupported type ${md.type}`);
    const buf = fs.readFileSync(path.join(inputDir, `in${k}.bin`));
    const n = shape.reduce((a, b) => a * b, 1);
    if (buf.length !== n * Typed.BYTES_PER_ELEMENT) {
      throw new Error(`in${k}.bin has ${buf.length} bytes, input '${md.name}' needs ${n * Typed.BYTES_PER_ELEMENT}`);
    }
    const data = new Typed(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    feeds[md.name] = new ort.Tensor(md.type, data, shape);
  });
  models.set(id, { sess, feeds });
  if (pool) await Promise.all(pool.map((w) => w.request({ op: 'load', id, inputDir, file })));
  return `ok ${id}`;
}

// --workers K: K worker threads, each with its own session of every model (the way a Node
// service gets ORT runs to overlap: one session per thread), one request at a time each.
class PoolWorker {
  constructor() {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { args: args.filter((a, i) => a !== '--workers' && args[i - 1] !== '--workers') } });
    this.pending = null;
    this.worker.on('message', (msg) => {
      const p = this.pending;
      this.pending = null;
      if (msg.err) p.reject(new Error(msg.err));
      else p.resolve(msg);
    });
    this.worker.on('error', (e) => { if (this.pending) this.pending.reject(e); });
  }
  request(msg) {
    return new Promise((resolve, reject) => { this.pending = { resolve, reject }; this.worker.postMessage(msg); });
  }
}
const pool = isMainThread && workers > 0 ? Array.from({ length: workers }, () => new PoolWorker()) : null;
const idle = pool ? [...pool] : [];
const waiting = [];
// One run of model `id` on an idle worker (waiting for one when all are busy).
async function runOnWorker(id) {
  const w = idle.length ? idle.pop() : await new Promise((resolve) => waiting.push(resolve));
  try {
    await w.request({ op: 'run', id });
  } finally {
    if (waiting.length) waiting.shift()(w);
    else idle.push(w);
  }
}

async function run(id, warmup, iters) {
  const m = models.get(id);
  if (!m || !(iters >= 1) || !(warmup >= 0)) throw new Error(`bad run request for '${id}'`);
  for (let i = 0; i < warmup; i++) await m.sess.run(m.feeds);
  const ms = new Array(iters);
  let out;
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    out = await m.sess.run(m.feeds);
    ms[i] = performance.now() - t0;
  }
  let numel = 0, sum = 0, sumAbs = 0;
  for (const name of m.sess.outputNames) {
    const t = out[name];
    if (t.type !== 'float32') continue;
    for (const v of t.data) { sum += v; sumAbs += Math.abs(v); }
    numel += t.data.length;
  }
  return `ok ${numel} ${sum.toPrecision(9)} ${sumAbs.toPrecision(9)} ${ms.map((v) => v.toFixed(6)).join(' ')}`;
}

// mulberry32: a small seeded generator, so that a seed gives the same arrivals every time.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Waits until performance.now() >= t: timers round to whole milliseconds and may fire early,
// so the last fraction is waited out on the event loop (a request must not start before
// its scheduled arrival).
async function sleepUntil(t) {
  for (let d; (d = t - performance.now()) > 0;) {
    await new Promise((resolve) => (d >= 2 ? setTimeout(resolve, Math.floor(d) - 1) : setImmediate(resolve)));
  }
}

async function scenario(id, kind, conc, qps, seconds, iters, seed) {
  const m = models.get(id);
  if (!m || !(conc >= 1) || !(iters >= 0) || !(seconds > 0 || iters > 0)) throw new Error(`bad scenario request for '${id}'`);
  if (kind === 'server' && !(qps > 0)) throw new Error('server needs a positive QPS');
  const exec = pool ? () => runOnWorker(id) : () => m.sess.run(m.feeds);
  await exec();  // one unmeasured run
  if (pool) await Promise.all(pool.map((w) => w.request({ op: 'run', id })));  // every worker warm
  const ms = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const more = (issued) => (iters > 0 ? issued < iters : performance.now() < end);
  let issued = 0;
  if (kind === 'multi-stream') {
    const client = async () => {
      while (more(issued++)) {
        const a = performance.now();
        await exec();
        ms.push(performance.now() - a);
      }
    };
    await Promise.all(Array.from({ length: conc }, client));
  } else if (kind === 'server' || kind === 'offline') {
    const rand = seeded(seed);
    const inFlight = new Set();
    let next = t0;
    for (; more(issued); issued++) {
      if (kind === 'server') {
        next += (-Math.log(1 - rand()) / qps) * 1000;
        await sleepUntil(next);
      }
      while (inFlight.size >= conc) await Promise.race(inFlight);
      const arrival = kind === 'server' ? next : performance.now();
      const p = exec().then(() => { ms.push(performance.now() - arrival); inFlight.delete(p); });
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } else {
    throw new Error(`unknown scenario '${kind}'`);
  }
  const wall = (performance.now() - t0) / 1000;
  return `ok ${wall.toFixed(6)} ${ms.map((v) => v.toFixed(6)).join(' ')}`;
}

// Ends the profile of model `id` (ORT writes it then) and names its file: the newest
// DIR/ID_*.json.
function endProfile(id) {
  const m = models.get(id);
  if (!m || !profileDir) throw new Error(`no profiled model '${id}'`);
  m.sess.endProfiling();
  const files = fs.readdirSync(profileDir).filter((f) => f.startsWith(`${id}_`) && f.endsWith('.json'))
    .map((f) => path.join(profileDir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no profile file for '${id}' in ${profileDir}`);
  return `ok ${files[0]}`;
}

async function outputs(id) {
  const m = models.get(id);
  if (!m) throw new Error(`no model '${id}'`);
  const out = await m.sess.run(m.feeds);
  let corrupt = process.env.BRAID_ORT_CORRUPT_OUTPUT === '1';
  const words = ['ok'];
  for (const name of m.sess.outputNames) {
    const t = out[name];
    let data = t.data;
    if (corrupt && t.type === 'float32' && data.length > 0) {
      data = Float32Array.from(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v));
      data[0] += 0.01 * peak + 1;
      corrupt = false;
    }
    if (!ArrayBuffer.isView(data)) {  // string tensors: no raw values
      words.push(encodeURIComponent(name), t.type, String(data.length), '-');
      continue;
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    words.push(encodeURIComponent(name), t.type, String(data.length), bytes.length ? bytes.toString('base64') : '-');
  }
  return words.join(' ');
}

if (!isMainThread) {  // a --workers thread: load and run requests from the main thread
  parentPort.on('message', async (msg) => {
    try {
      if (msg.op === 'load') await load(msg.id, msg.inputDir, msg.file);
      else await models.get(msg.id).sess.run(models.get(msg.id).feeds);
      parentPort.postMessage({ ok: true });
    } catch (e) {
      parentPort.postMessage({ err: String(e.message || e) });
    }
  });
} else {
const rl = readline.createInterface({ input: process.stdin, terminal: false });
for await (const line of rl) {
  const w = line.trim().split(/\s+/);
  if (w[0] === 'quit') break;
  let reply;
  try {
    if (w[0] === 'load') reply = await load(w[1], w[3], w[4]);
    else if (w[0] === 'run') reply = await run(w[1], Number(w[2]), Number(w[3]));
    else if (w[0] === 'scenario') {
      reply = await scenario(w[1], w[2], Number(w[3]), Number(w[4]), Number(w[5]), Number(w[6]), Number(w[7]));
    } else if (w[0] === 'outputs') reply = await outputs(w[1]);
    else if (w[0] === 'endprofile') reply = endProfile(w[1]);
    else if (w[0] === 'ping') reply = 'ok';
    else reply = `err unknown request: ${line}`;
  } catch (e) {
    reply = `err ${String(e.message || e).replace(/\n/g, ' ')}`;
  }
  process.stdout.write(`${reply}\n`);
}
process.exit(0);
}
