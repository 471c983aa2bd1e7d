#!/usr/bin/env node
// Runs one ONNX model once in ONNX Runtime (onnxruntime-node, CPU EP) on inputs read from
// files and writes its outputs as files: the peer side of Braid's correctness tests.
//
// Usage:
//   node ort_run.mjs MODEL.onnx IN_DIR OUT_DIR [options]
// Options:
//   --fill SEED       inputs that have no file in IN_DIR are generated (seeded, see below)
//                     and written to IN_DIR, so the other runtime can read the same values
//   --dim NAME=N      value of a symbolic input dim for --fill (repeatable; default 1)
//   --intra N         intraOpNumThreads (default 1)
//   --opt LEVEL       graphOptimizationLevel: disabled|basic|extended|all (default all)
// Session: executionMode 'sequential', interOpNumThreads 1, CPU EP.
// Module: require()d by absolute path from $BRAID_ORT_DIR
//   (default ~/.cache/braid/ort/node_modules/onnxruntime-node).
//
// Tensor file format (inputs and outputs alike), one pair per tensor in the folder:
//   <stem>.json  {"name": "<tensor name>", "dtype": "<type>", "dims": [d0, d1, ...]}
//   <stem>.bin   the elements, row-major, little-endian, no header
//                (bool: one byte per element, 0 or 1; float16: IEEE half bits)
// <stem> is the tensor name with every byte outside [A-Za-z0-9._-] written as %XX
// (uppercase hex of the UTF-8 byte), so "x:0" is stored as "x%3A0.bin".
// <type> is one of float32 float64 float16 int8 uint8 int16 uint16 int32 uint32 int64
// uint64 bool (ONNX Runtime's names). A scalar has dims [].
//
// --fill values: float types uniform in [-1, 1) from the 32-bit LCG
// s = s*1664525 + 1013904223 (value = s / 2^31 - 1), one stream per input, seeded with
// SEED + input index; integer types (s >>> 29) (0..7); bool (s >>> 31).
//
// Prints one JSON line: session and run milliseconds and, per output, dtype, dims, min, max,
// mean |x| and the count of NaN/Inf values. Exit status 0 on success (non-finite outputs
// included: the caller decides), 1 on any error, 2 on usage.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const TYPED = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array,
  uint64: BigUint64Array, bool: Uint8Array,
};
const FLOATS = new Set(['float32', 'float64']);

function usage(msg) {
  if (msg) console.error(`ort_run: ${msg}`);
  console.error('usage: node ort_run.mjs MODEL.onnx IN_DIR OUT_DIR [--fill SEED] [--dim NAME=N] [--intra N] [--opt LEVEL]');
  process.exit(2);
}

function fail(msg) {
  console.error(`ort_run: ${msg}`);
  process.exit(1);
}

function stem(name) {
  let out = '';
  for (const b of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function loadOrt() {
  const dir = process.env.BRAID_ORT_DIR ||
    path.join(os.homedir(), '.cache', 'braid', 'ort', 'node_modules', 'onnxruntime-node');
  try {
    return createRequire(import.meta.url)(path.resolve(dir));
  } catch (e) {
    fail(`cannot load onnxruntime-node from ${dir} (set BRAID_ORT_DIR): ${e.message}`);
  }
}

function readTensor(ort, dir, name) {
  const base = path.join(dir, stem(name));
  if (!fs.existsSync(`${base}.json`)) return null;
  const meta = JSON.parse(fs.readFileSync(`${base}.json`, 'utf8'));
  const Typed = TYPED[meta.dtype];
  if (!Typed) fail(`${base}.json: unsupported dtype '${meta.dtype}'`);
  const bytes = fs.readFileSync(`${base}.bin`);
  const numel = meta.dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== numel * Typed.BYTES_PER_ELEMENT) {
    fail(`${base}.bin: ${bytes.length} bytes, expected ${numel * Typed.BYTES_PER_ELEMENT} for ${meta.dtype} [${meta.dims}]`);
  }
  // Copy into a fresh, aligned buffer (Buffer slices may be unaligned for the typed view).
  const data = new Typed(numel);
  new Uint8Array(data.buffer).set(bytes);
  return new ort.Tensor(meta.dtype, meta.dtype === 'bool' ? Uint8Array.from(data, (v) => (v ? 1 : 0)) : data, meta.dims);
}

function writeTensor(dir, name, tensor) {
  const Typed = TYPED[tensor.type];
  if (!Typed) fail(`output '${name}': unsupported dtype '${tensor.type}'`);
  const base = path.join(dir, stem(name));
  const d = tensor.data;
  let bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  if (tensor.type === 'bool') bytes = Buffer.from(Uint8Array.from(d, (v) => (v ? 1 : 0)));
  fs.writeFileSync(`${base}.bin`, bytes);
  fs.writeFileSync(`${base}.json`, `${JSON.stringify({ name, dtype: tensor.type, dims: tensor.dims })}\n`);
}

function fillTensor(ort, meta, seed, dimValues) {
  if (!meta.isTensor) fail(`input '${meta.name}' is not a tensor; --fill cannot make it`);
  const Typed = TYPED[meta.type];
  if (!Typed || meta.type === 'float16') fail(`input '${meta.name}': --fill does not support '${meta.type}'`);
  const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (dimValues[d] ?? 1)));
  const numel = dims.reduce((a, b) => a * b, 1);
  const data = new Typed(numel);
  let s = seed >>> 0;
  for (let i = 0; i < numel; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (FLOATS.has(meta.type)) data[i] = s / 2 ** 31 - 1;
    else if (meta.type === 'bool') data[i] = s >>> 31;
    else data[i] = Typed === BigInt64Array || Typed === BigUint64Array ? BigInt(s >>> 29) : s >>> 29;
  }
  return new ort.Tensor(meta.type, data, dims);
}

function stats(tensor) {
  const d = tensor.data;
  let min = Infinity, max = -Infinity, sumAbs = 0, nonfinite = 0;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (!Number.isFinite(v)) { nonfinite++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
    sumAbs += Math.abs(v);
  }
  const finite = d.length - nonfinite;
  return { dtype: tensor.type, dims: tensor.dims, min: finite ? min : null, max: finite ? max : null,
    mean_abs: finite ? sumAbs / finite : null, nonfinite };
}

async function main() {
  const argv = process.argv.slice(2);
  const pos = [];
  const opt = { fill: null, dims: {}, intra: 1, opt: 'all' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { pos.push(a); continue; }
    const v = argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    if (a === '--fill') opt.fill = Number(v);
    else if (a === '--dim') { const [k, n] = v.split('='); opt.dims[k] = Number(n); }
    else if (a === '--intra') opt.intra = Number(v);
    else if (a === '--opt') opt.opt = v;
    else usage(`unknown option ${a}`);
  }
  if (pos.length !== 3) usage();
  const [model, inDir, outDir] = pos;
  const ort = loadOrt();

  const t0 = performance.now();
  let session;
  try {
    session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'], executionMode: 'sequential', intraOpNumThreads: opt.intra,
      interOpNumThreads: 1, graphOptimizationLevel: opt.opt,
    });
  } catch (e) {
    fail(`${model}: session create failed: ${e.message}`);
  }
  const sessionMs = performance.now() - t0;

  if (opt.fill !== null) fs.mkdirSync(inDir, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const feeds = {};
  const metas = session.inputMetadata ?? session.inputNames.map((name) => ({ name, isTensor: false }));
  metas.forEach((meta, idx) => {
    let t = readTensor(ort, inDir, meta.name);
    if (t === null && opt.fill !== null) {
      t = fillTensor(ort, meta, opt.fill + idx, opt.dims);
      writeTensor(inDir, meta.name, t);
    }
    if (t === null) fail(`${model}: no file for input '${meta.name}' in ${inDir} (${stem(meta.name)}.json/.bin)`);
    feeds[meta.name] = t;
  });

  const t1 = performance.now();
  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    fail(`${model}: run failed: ${e.message}`);
  }
  const runMs = performance.now() - t1;

  const outputs = {};
  for (const name of session.outputNames) {
    writeTensor(outDir, name, results[name]);
    outputs[name] = stats(results[name]);
  }
  console.log(JSON.stringify({ model, session_ms: +sessionMs.toFixed(3), run_ms: +runMs.toFixed(3), outputs }));
}

main().catch((e) => fail(e.stack || String(e)));
