/**
 * A run's weights: model.json, a small JSON header (shapes, activations), and model.bin, every
 * parameter as float32 little-endian, layer by layer W (row-major [out, in]) then b, the order of
 * the network's own flat parameter array (docs/cli.md#modeljson). Both are streamed to a
 * temporary file and renamed, model.bin first: no step makes one string or buffer the size of
 * the model, so any network the engine trains can be written (a JSON text of 33.6M parameters
 * was longer than a JavaScript string may be). Networks of up to INLINE_MAX_PARAMETERS also
 * carry their weights in model.json as before ("weights", "biases"), for readers of JSON alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FloatArray } from '../engine/kernels';
import { parameterCount } from '../engine/limits';
import { writeJsonAtomic } from './atomic';
import { openRunFile, RunReadError } from './read';

export const MODEL_FORMAT = 'mlp-lens-model/v1';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'model.bin';
/** Up to this many parameters model.json also lists the weights (about 20 MB of JSON at most). */
export const INLINE_MAX_PARAMETERS = 1_000_000;
/** Floats written or read at a time (16 MB). */
const CHUNK = 1 << 22;

export interface ModelHeader {
  format: typeof MODEL_FORMAT;
  layer_sizes: number[];
  /** the hidden layers', then the output kind */
  activations: string[];
  leakyReluSlope: number;
  parameters: number;
  /** model.bin, next to model.json */
  weightsFile: string;
  weightsFormat: 'float32-le';
  /** per weight layer: flat row-major [out, in] (only up to INLINE_MAX_PARAMETERS) */
  weights?: number[][];
  biases?: number[][];
}

/** What writeModel needs of a network (Network has it all). */
export interface ModelSource {
  sizes: readonly number[];
  hidden: readonly string[];
  output: string;
  slope: number;
  /** every parameter, layer by layer W then b */
  params: FloatArray;
  layers: readonly { W: FloatArray; b: FloatArray }[];
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Write all of `bytes` (short writes continue). */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** model.bin from `params` (float64 values rounded to float32), CHUNK floats at a time. */
function writeWeights(file: string, params: FloatArray): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const scratch = params instanceof Float32Array && littleEndian ? null : new Float32Array(Math.min(CHUNK, params.length));
    for (let lo = 0; lo < params.length; lo += CHUNK) {
      const hi = Math.min(params.length, lo + CHUNK);
      let part: Float32Array;
      if (!scratch) part = (params as Float32Array).subarray(lo, hi);
      else {
        part = scratch.subarray(0, hi - lo);
        for (let i = lo; i < hi; i++) part[i - lo] = params[i]!;
        if (!littleEndian) swap32(part);
      }
      writeAll(fd, new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function swap32(a: Float32Array): void {
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i < b.length; i += 4) {
    let t = b[i]!; b[i] = b[i + 3]!; b[i + 3] = t;
    t = b[i + 1]!; b[i + 1] = b[i + 2]!; b[i + 2] = t;
  }
}

/** model.bin, then model.json (compact), each written whole before it is renamed into `dir`. */
export function writeModel(dir: string, net: ModelSource): void {
  writeWeights(path.join(dir, WEIGHTS_FILE), net.params);
  const header: ModelHeader = {
    format: MODEL_FORMAT,
    layer_sizes: [...net.sizes],
    activations: [...net.hidden, net.output],
    leakyReluSlope: net.slope,
    parameters: net.params.length,
    weightsFile: WEIGHTS_FILE,
    weightsFormat: 'float32-le',
  };
  if (net.params.length <= INLINE_MAX_PARAMETERS) {
    header.weights = net.layers.map((l) => Array.from(l.W));
    header.biases = net.layers.map((l) => Array.from(l.b));
  }
  writeJsonAtomic(path.join(dir, MODEL_FILE), header, undefined);
}

/** A run folder's model: its header and every layer's W and b as float32 (views of one array). */
export function readModel(dir: string): { header: ModelHeader; weights: Float32Array[]; biases: Float32Array[] } {
  const header = JSON.parse(fs.readFileSync(path.join(dir, MODEL_FILE), 'utf8')) as ModelHeader;
  if (header.format !== MODEL_FORMAT) throw new Error(`${path.join(dir, MODEL_FILE)}: not an ${MODEL_FORMAT} file`);
  const sizes = header.layer_sizes;
  const total = parameterCount(sizes);
  const file = path.join(dir, header.weightsFile ?? WEIGHTS_FILE);
  const all = new Float32Array(total);
  const bytes = new Uint8Array(all.buffer);
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== bytes.length) throw new Error(`${file}: ${size} bytes, but layer_sizes ${JSON.stringify(sizes)} make ${bytes.length}`);
    for (let done = 0; done < bytes.length; ) {
      const got = fs.readSync(fd, bytes, done, Math.min(4 * CHUNK, bytes.length - done), done);
      if (got === 0) throw new Error(`${file}: ends after ${done} bytes`);
      done += got;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (!littleEndian) swap32(all);
  const weights: Float32Array[] = [], biases: Float32Array[] = [];
  let off = 0;
  for (let k = 0; k + 1 < sizes.length; k++) {
    const nw = sizes[k]! * sizes[k + 1]!;
    weights.push(all.subarray(off, off + nw));
    biases.push(all.subarray(off + nw, off + nw + sizes[k + 1]!));
    off += nw + sizes[k + 1]!;
  }
  return { header, weights, biases };
}

/**
 * Units [first, first + count) of a run's first layer (`inputs` × `units`) from its model.bin:
 * those rows of W (row-major [out, in], at the file's start), `count` clamped to the layer. Read
 * without blocking, from a regular file inside `root`, whose size must be that of `parameters`
 * float32s. Null when the folder has no model.bin (a run still training, or one that failed); a
 * RunReadError when the file is not what the run's parameters make.
 */
export async function readFirstLayerRows(dir: string, root: string, layer: { inputs: number; units: number; parameters: number }, first: number, count: number): Promise<Float32Array | null> {
  let opened: Awaited<ReturnType<typeof openRunFile>>;
  try {
    opened = await openRunFile(dir, root, WEIGHTS_FILE);
  } catch (e) {
    if (e instanceof RunReadError && e.missing) return null;
    throw e;
  }
  const { file, size } = opened;
  try {
    const shown = path.join(dir, WEIGHTS_FILE);
    const { inputs: F, units: U, parameters } = layer;
    const expected = 4 * parameters;
    if (size !== expected) throw new RunReadError(`${shown}: ${size} bytes, but the run's ${parameters.toLocaleString('en-US')} parameters make ${expected}`);
    if (F * U > parameters) throw new RunReadError(`${shown}: a first layer of ${F} × ${U} weights is more than the run's ${parameters} parameters`);
    const f = Math.max(0, Math.min(first, U - 1)), n = Math.max(0, Math.min(count, U - f));
    const rows = new Float32Array(n * F);
    const bytes = new Uint8Array(rows.buffer);
    for (let done = 0; done < bytes.length; ) {
      const { bytesRead } = await file.read(bytes, done, bytes.length - done, 4 * f * F + done);
      if (bytesRead === 0) throw new RunReadError(`${shown}: ends early`);
      done += bytesRead;
    }
    if (!littleEndian) swap32(rows);
    return rows;
  } finally {
    await file.close();
  }
}
