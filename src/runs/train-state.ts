/**
 * A run's training state, written beside its weights when the run ends stopped or completed, so
 * that `mlp-lens train --continue` (and the editor's Continue) go on bit for bit where it ended:
 *   state.json  format, the counters and running sums, the shuffle generator's words, the spmm
 *               choices, the optimizer's type and step count, and what state.bin holds
 *   state.bin   the optimizer's state arrays (float32 little-endian, each `parameters` long:
 *               momentum's velocity, or Adam's v then m; none for sgd), then the current epoch's
 *               example order (uint32 little-endian, `examples` long)
 * The weights are model.bin's (float32, exactly the trained ones). Both files are written to a
 * temporary file and renamed, state.bin first; a continued run removes state.json when it starts
 * (the records then run past it) and writes both again when it ends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isObj } from '../engine/guards';
import type { FloatArray } from '../engine/kernels';
import type { TrainerState } from '../engine/trainer';
import { writeJsonAtomic } from './atomic';
import { writeAllSync } from './faults';
import { readModel } from './model-file';

export const STATE_FORMAT = 'mlp-lens-state/v1';
export const STATE_FILE = 'state.json';
export const STATE_BIN = 'state.bin';

export interface StateHeader {
  format: typeof STATE_FORMAT;
  step: number;
  epoch: number;
  posInEpoch: number;
  since: [number, number, number];
  epochSums: [number, number, number];
  shuffle: { a: number; b: number; c: number; d: number; spare: number; hasSpare: boolean };
  sparse: { sparse: boolean[]; retry: number[] } | null;
  optimizer: { type: string; steps: number; arrays: number };
  parameters: number;
  examples: number;
  stateFile: typeof STATE_BIN;
  /** the percentile probes' countdown and last measurement (TrainerState.percentiles); optional */
  percentiles?: { in: number; weights: number[][]; grads: number[][] };
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(a: Float32Array | Uint32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const b = new Uint8Array(a.byteLength);
  const v = new DataView(b.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) v.setFloat32(4 * i, a[i]!, true);
    else v.setUint32(4 * i, a[i]!, true);
  }
  return b;
}

/** state.bin, then state.json, each renamed into `dir` whole. Throws the fs error when the disk refuses. */
export function writeTrainState(dir: string, s: TrainerState, optimizer: string): void {
  const bin = path.join(dir, STATE_BIN), tmp = `${bin}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const a of s.optimizer) writeAllSync(fd, bytesOf(a instanceof Float32Array ? a : Float32Array.from(a)), bin);
    writeAllSync(fd, bytesOf(s.order), bin);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, bin);
  const header: StateHeader = {
    format: STATE_FORMAT, step: s.step, epoch: s.epoch, posInEpoch: s.posInEpoch, since: s.since, epochSums: s.epochSums,
    shuffle: { ...s.shuffle }, sparse: s.sparse, optimizer: { type: optimizer, steps: s.optimizerSteps, arrays: s.optimizer.length },
    parameters: s.params.length, examples: s.order.length, stateFile: STATE_BIN,
    ...(s.percentiles ? { percentiles: s.percentiles } : {}),
  };
  writeJsonAtomic(path.join(dir, STATE_FILE), header);
}

/** Removes state.json (a run that goes on makes it stale); state.bin is rewritten at the end. */
export function dropTrainState(dir: string): void {
  fs.rmSync(path.join(dir, STATE_FILE), { force: true });
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isI32 = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32;

/** Why `v` is not a state header (the first field that is wrong), or null. */
export function stateProblem(v: unknown): string | null {
  if (!isObj(v)) return 'not a JSON object';
  if (v.format !== STATE_FORMAT) return `"format" is not "${STATE_FORMAT}"`;
  const three = (x: unknown) => Array.isArray(x) && x.length === 3 && x.every(isNum);
  const fields: [string, (x: unknown) => boolean][] = [
    ['step', isInt], ['epoch', isInt], ['posInEpoch', isInt], ['since', three], ['epochSums', three],
    ['shuffle', (x) => isObj(x) && isI32(x.a) && isI32(x.b) && isI32(x.c) && isI32(x.d) && isNum(x.spare) && typeof x.hasSpare === 'boolean'],
    ['sparse', (x) => x === null || (isObj(x) && Array.isArray(x.sparse) && Array.isArray(x.retry) && x.sparse.length === x.retry.length
      && x.sparse.length <= 4096 && x.sparse.every((b) => typeof b === 'boolean') && x.retry.every((n) => Number.isInteger(n)))],
    ['optimizer', (x) => isObj(x) && typeof x.type === 'string' && isInt(x.steps) && isInt(x.arrays) && x.arrays <= 2],
    ['parameters', isInt], ['examples', isInt], ['stateFile', (x) => x === STATE_BIN],
  ];
  for (const [key, ok] of fields) if (!ok(v[key])) return `"${key}" is missing or not what a training state holds`;
  const lists = (x: unknown) => Array.isArray(x) && x.length <= 4096 && x.every((a) => Array.isArray(a) && a.length <= 64 && a.every(isNum));
  if (v.percentiles !== undefined && !(isObj(v.percentiles) && isInt(v.percentiles.in) && lists(v.percentiles.weights) && lists(v.percentiles.grads))) {
    return '"percentiles" is not what a training state holds';
  }
  return null;
}

/** Whether `dir` holds a training state to continue from. */
export function hasTrainState(dir: string): boolean {
  return fs.existsSync(path.join(dir, STATE_FILE));
}

/**
 * The state a run ended with: state.json and state.bin, with model.bin's weights. Throws an
 * Error naming the file and what is wrong.
 */
export function readTrainState(dir: string): { state: TrainerState; header: StateHeader } {
  const file = path.join(dir, STATE_FILE);
  const st = fs.statSync(file);
  if (!st.isFile() || st.size > 1 << 20) throw new Error(`${file}: not a training state (a regular file of at most 1 MiB)`);
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  const problem = stateProblem(v);
  if (problem) throw new Error(`${file} is not a training state: ${problem}`);
  const h = v as StateHeader;
  const { weights, header } = readModel(dir);
  const params = weights.length ? new Float32Array(weights[0]!.buffer, weights[0]!.byteOffset, header.parameters) : new Float32Array(0);
  if (params.length !== h.parameters) throw new Error(`${path.join(dir, header.weightsFile)}: ${params.length} parameters, but ${file} says ${h.parameters}`);
  const bin = path.join(dir, STATE_BIN);
  const want = 4 * (h.optimizer.arrays * h.parameters + h.examples);
  const bytes = fs.readFileSync(bin);
  if (bytes.length !== want) throw new Error(`${bin}: ${bytes.length} bytes, but ${file} makes ${want}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const optimizer: FloatArray[] = [];
  let at = 0;
  for (let k = 0; k < h.optimizer.arrays; k++) {
    const a = new Float32Array(h.parameters);
    for (let i = 0; i < a.length; i++, at += 4) a[i] = view.getFloat32(at, true);
    optimizer.push(a);
  }
  const order = new Uint32Array(h.examples);
  for (let i = 0; i < order.length; i++, at += 4) {
    order[i] = view.getUint32(at, true);
    if (order[i]! >= h.examples) throw new Error(`${bin}: example ${order[i]} in the order of ${h.examples} examples`);
  }
  const state: TrainerState = {
    step: h.step, epoch: h.epoch, posInEpoch: h.posInEpoch, since: h.since, epochSums: h.epochSums, shuffle: h.shuffle,
    order, optimizerSteps: h.optimizer.steps, optimizer, params, sparse: h.sparse,
    ...(h.percentiles ? { percentiles: h.percentiles } : {}),
  };
  return { state, header: h };
}
