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
//   stdin                                  stdout
//   load ID MODE INPUT_DIR MODEL.onnx      ok ID | err MESSAGE     (MODE is ignored)
//   run ID WARMUP ITERS                    ok NUMEL SUM SUM_ABS MS_1 ... MS_ITERS | err MESSAGE
//   quit
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

const dir = process.env.BRAID_ORT_DIR ||
  path.join(os.homedir(), '.cache', 'braid', 'ort', 'node_modules', 'onnxruntime-node');
const ort = createRequire(import.meta.url)(path.resolve(dir));

const args = process.argv.slice(2);
let intra = 1, inter = 1, mode = 'sequential';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--intra') intra = Number(args[++i]);
  else if (args[i] === '--inter') inter = Number(args[++i]);
  else if (args[i] === '--mode') mode = args[++i];
  else { console.error(`ort_serve: unknown argument ${args[i]}`); process.exit(2); }
}
if (!(intra >= 1)) { console.error('ort_serve: bad --intra'); process.exit(2); }
if (!(inter >= 1)) { console.error('ort_serve: bad --inter'); process.exit(2); }
if (mode !== 'sequential' && mode !== 'parallel') { console.error('ort_serve: bad --mode'); process.exit(2); }

const TYPED = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };
const models = new Map();

async function load(id, inputDir, file) {
  const sess = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: mode,
    intraOpNumThreads: intra, interOpNumThreads: mode === 'parallel' ? inter : 1,
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
  return `ok ${id}`;
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

const rl = readline.createInterface({ input: process.stdin, terminal: false });
for await (const line of rl) {
  const w = line.trim().split(/\s+/);
  if (w[0] === 'quit') break;
  let reply;
  try {
    if (w[0] === 'load') reply = await load(w[1], w[3], w[4]);
    else if (w[0] === 'run') reply = await run(w[1], Number(w[2]), Number(w[3]));
    else reply = `err unknown request: ${line}`;
  } catch (e) {
    reply = `err ${String(e.message || e).replace(/\n/g, ' ')}`;
  }
  process.stdout.write(`${reply}\n`);
}
process.exit(0);
