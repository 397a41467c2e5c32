/**
 * The shipped real datasets, read through DataIO.readAsset from media/datasets (the host hands
 * back .gz files decompressed):
 *
 *   digits.csv.gz     1797 rows of 64 pixels (8x8, 0..16) then the label, no header
 *   iris.csv          header "150,4,setosa,versicolor,virginica", then 4 features and the label index
 *   wine_data.csv     header "178,13,class_0,class_1,class_2", then 13 features and the label index
 *   mnist-10k.bin.gz  10,000 MNIST digits, 28x28, with a fixed 8,000 / 2,000 split (format below)
 *
 * digits, iris and wine are split at load time with the spec's seed and testFraction (stratified).
 * mnist keeps the file's own fixed split: its testFraction and seed are ignored.
 * Scaling: digits pixels / 16 and mnist pixels / 255 (in [0,1]); with standardize: true every
 * set is z-scored with train statistics instead. iris and wine are raw unless standardize is true
 * (the config defaults turn it on for them).
 *
 * mnist-10k.bin.gz format (written by scripts/convert-mnist.mjs), integers little-endian:
 *   "MLPD" | uint32 version = 1 | uint32 nTrain | uint32 nTest | uint32 height | uint32 width |
 *   uint8 pixels[nTrain * h * w] | uint8 pixels[nTest * h * w] | uint8 labels[nTrain] | uint8 labels[nTest]
 */
import type { BuiltinKind, DataIO, Dataset } from '../types';
import { applyStandardizer, checkTestFraction, describeSplit, fitStandardizer, splitAndScale, type SplitData } from './split';

/**
 * The built-in image sets: one sample's [height, width] and the classes, known from the spec
 * alone (a run folder's first-layer weights are pictures of this shape; the MNIST file's own
 * header must agree, checked when it loads).
 */
export const BUILTIN_IMAGES: Partial<Record<string, { shape: [number, number]; classes: number }>> = {
  digits: { shape: [8, 8], classes: 10 },
  mnist: { shape: [28, 28], classes: 10 },
};

export type BuiltinSpec = { type: BuiltinKind; testFraction: number; standardize: boolean; seed: number };

export const BUILTIN_ASSETS: Record<BuiltinKind, string> = {
  digits: 'digits.csv.gz',
  iris: 'iris.csv',
  wine: 'wine_data.csv',
  mnist: 'mnist-10k.bin.gz',
};

const IRIS_FEATURES = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'];
const WINE_FEATURES = [
  'alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium', 'total_phenols', 'flavanoids',
  'nonflavanoid_phenols', 'proanthocyanins', 'color_intensity', 'hue', 'od280/od315_of_diluted_wines', 'proline',
];

const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function pixelNames(h: number, w: number): string[] {
  const names: string[] = [];
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) names.push(`pixel_${r}_${c}`);
  return names;
}

/** A shipped asset is broken: a packaging bug, not the user's input. */
function corrupt(name: string, why: string): Error {
  return new Error(`dataset asset '${name}' is corrupt: ${why}`);
}

/** Rows of comma-separated numbers (blank lines skipped), each with exactly `cols` values. */
function numericRows(text: string, cols: number, name: string): Float64Array[] {
  const rows: Float64Array[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const parts = line.split(',');
    const row = new Float64Array(parts.map(Number));
    if (row.length !== cols || row.some((v) => !Number.isFinite(v))) {
      throw corrupt(name, `line ${rows.length + 1} does not hold ${cols} numbers`);
    }
    rows.push(row);
  }
  return rows;
}

/** features then a label in the last column -> X, y */
function toArrays(rows: Float64Array[], features: number, classes: number, name: string) {
  const X = new Float32Array(rows.length * features);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    X.set(row.subarray(0, features), i * features);
    const label = row[features]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw corrupt(name, `bad label ${label}`);
    y[i] = label;
  });
  return { X, y };
}

async function readText(io: DataIO, name: string): Promise<string> {
  return new TextDecoder().decode(await io.readAsset(name));
}

async function loadDigits(spec: BuiltinSpec, io: DataIO): Promise<Dataset> {
  const name = BUILTIN_ASSETS.digits;
  const { X, y } = toArrays(numericRows(await readText(io, name), 65, name), 64, 10, name);
  for (let i = 0; i < X.length; i++) X[i]! /= 16;
  const data = splitAndScale(X, y, 64, 10, spec);
  return {
    name: 'digits',
    features: 64,
    classes: 10,
    classNames: DIGIT_NAMES.slice(),
    featureNames: pixelNames(8, 8),
    ...data,
    imageShape: [BUILTIN_IMAGES.digits!.shape[0], BUILTIN_IMAGES.digits!.shape[1]],
    description:
      `8x8 handwritten digits (UCI, via scikit-learn): ${y.length} images, ${describeSplit(data)}, ` +
      (spec.standardize ? 'standardized' : 'pixels scaled to [0,1]'),
  };
}

/** iris.csv / wine_data.csv: header "rows,features,class names...", then features and a label index. */
async function loadTable(spec: BuiltinSpec, io: DataIO, kind: 'iris' | 'wine'): Promise<Dataset> {
  const name = BUILTIN_ASSETS[kind];
  const text = await readText(io, name);
  const nl = text.indexOf('\n');
  const head = text.slice(0, nl).trim().split(',');
  const rowCount = Number(head[0]);
  const features = Number(head[1]);
  const classNames = head.slice(2);
  const rows = numericRows(text.slice(nl + 1), features + 1, name);
  if (rows.length !== rowCount) throw corrupt(name, `header says ${rowCount} rows, found ${rows.length}`);
  const { X, y } = toArrays(rows, features, classNames.length, name);
  const data = splitAndScale(X, y, features, classNames.length, spec);
  const what = kind === 'iris' ? 'Iris flowers (Fisher 1936, via scikit-learn)' : 'Wine chemical analysis (UCI, via scikit-learn)';
  return {
    name: kind,
    features,
    classes: classNames.length,
    classNames,
    featureNames: (kind === 'iris' ? IRIS_FEATURES : WINE_FEATURES).slice(),
    ...data,
    description: `${what}: ${rowCount} samples, ${describeSplit(data)}, ${spec.standardize ? 'standardized' : 'raw values'}`,
  };
}

export interface MnistFile {
  height: number;
  width: number;
  /** uint8 pixels, image after image */
  trainPixels: Uint8Array;
  trainLabels: Uint8Array;
  testPixels: Uint8Array;
  testLabels: Uint8Array;
}

/** Reads the MLPD binary format described at the top of this file. */
export function parseMnistFile(bytes: Uint8Array, name = BUILTIN_ASSETS.mnist): MnistFile {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(0, 4)) !== 'MLPD') throw corrupt(name, 'no MLPD header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== 1) throw corrupt(name, `unknown format version ${version}`);
  const nTrain = view.getUint32(8, true);
  const nTest = view.getUint32(12, true);
  const height = view.getUint32(16, true);
  const width = view.getUint32(20, true);
  const px = height * width;
  const n = nTrain + nTest;
  if (bytes.length !== 24 + n * (px + 1)) throw corrupt(name, `size ${bytes.length} does not match its header`);
  const labels = 24 + n * px;
  return {
    height,
    width,
    trainPixels: bytes.subarray(24, 24 + nTrain * px),
    testPixels: bytes.subarray(24 + nTrain * px, labels),
    trainLabels: bytes.subarray(labels, labels + nTrain),
    testLabels: bytes.subarray(labels + nTrain, labels + n),
  };
}

async function loadMnist(spec: BuiltinSpec, io: DataIO): Promise<Dataset> {
  checkTestFraction(spec.testFraction); // ignored, but a bad value is still an error
  const name = BUILTIN_ASSETS.mnist;
  const f = parseMnistFile(await io.readAsset(name), name);
  const [h, w] = BUILTIN_IMAGES.mnist!.shape;
  if (f.height !== h || f.width !== w) throw corrupt(name, `images of ${f.height}x${f.width}, not ${h}x${w}`);
  const scale = (p: Uint8Array) => {
    const out = new Float32Array(p.length); // a plain loop: Float32Array.from(p, fn) is ~20x slower here
    for (let i = 0; i < p.length; i++) out[i] = p[i]! / 255;
    return out;
  };
  const labels = (l: Uint8Array) => {
    if (l.some((v) => v > 9)) throw corrupt(name, 'label out of range');
    return Int32Array.from(l);
  };
  const data: SplitData = {
    trainX: scale(f.trainPixels),
    trainY: labels(f.trainLabels),
    testX: scale(f.testPixels),
    testY: labels(f.testLabels),
  };
  const features = f.height * f.width;
  if (spec.standardize) {
    const s = fitStandardizer(data.trainX, features);
    applyStandardizer(data.trainX, features, s);
    applyStandardizer(data.testX, features, s);
  }
  return {
    name: 'mnist',
    features,
    classes: 10,
    classNames: DIGIT_NAMES.slice(),
    featureNames: pixelNames(f.height, f.width),
    ...data,
    imageShape: [f.height, f.width],
    description:
      `MNIST (LeCun, Cortes, Burges), a 10,000-digit subset: ${describeSplit(data)} (fixed split; testFraction is ignored), ` +
      (spec.standardize ? 'standardized' : 'pixels scaled to [0,1]'),
  };
}

export function loadBuiltin(spec: BuiltinSpec, io: DataIO): Promise<Dataset> {
  switch (spec.type) {
    case 'digits':
      return loadDigits(spec, io);
    case 'iris':
    case 'wine':
      return loadTable(spec, io, spec.type);
    case 'mnist':
      return loadMnist(spec, io);
  }
}
