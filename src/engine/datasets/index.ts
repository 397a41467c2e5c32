/**
 * Datasets: build the in-memory, split and preprocessed Dataset a DatasetSpec describes.
 */
import { InputError, type DataIO, type Dataset, type DatasetSpec } from '../types';
import { parseCsv } from './csv';
import { loadBuiltin } from './builtin';
import { describeSplit, splitAndScale } from './split';
import { generateSynthetic } from './synthetic';

export { parseCsv, MAX_CSV_CLASSES, type ParsedCsv } from './csv';
export { loadBuiltin, parseMnistFile, BUILTIN_ASSETS, type BuiltinSpec, type MnistFile } from './builtin';
export {
  splitAndScale,
  splitIndices,
  takeRows,
  takeLabels,
  fitStandardizer,
  applyStandardizer,
  checkTestFraction,
  testCount,
  describeSplit,
  type SplitOptions,
  type SplitData,
  type Standardizer,
} from './split';
export {
  generateSynthetic,
  checkSyntheticArgs,
  spiral,
  moons,
  circles,
  xor,
  blobs,
  SYNTHETIC,
  MAX_SYNTHETIC_SAMPLES,
  type Generator,
  type Points,
} from './synthetic';

/**
 * Loads the dataset of `spec`. Problems with the spec itself (e.g. dataset.classes) are reported
 * against `configFile`; problems inside a CSV against the CSV's path as written in the spec.
 */
export async function loadDataset(spec: DatasetSpec, io: DataIO, configFile?: string): Promise<Dataset> {
  try {
    return await load(spec, io);
  } catch (e) {
    if (e instanceof InputError && e.file === undefined && configFile !== undefined) {
      throw new InputError(e.message, configFile);
    }
    throw e;
  }
}

async function load(spec: DatasetSpec, io: DataIO): Promise<Dataset> {
  switch (spec.type) {
    case 'digits':
    case 'iris':
    case 'wine':
    case 'mnist':
      return loadBuiltin(spec, io);
    case 'csv': {
      const text = await io.readText(spec.path);
      const csv = parseCsv(text, spec.label, spec.path);
      const data = splitAndScale(csv.X, csv.y, csv.features, csv.classes, spec);
      const base = spec.path.split(/[\\/]/).pop() || spec.path;
      return {
        name: base,
        features: csv.features,
        classes: csv.classes,
        classNames: csv.classNames,
        featureNames: csv.featureNames,
        ...data,
        description:
          `CSV file '${spec.path}' (label column '${spec.label}'): ${csv.rows} rows, ${csv.features} features, ` +
          `${csv.classes} classes, ${describeSplit(data)}${spec.standardize ? ', standardized' : ''}`,
      };
    }
    case 'spiral':
    case 'moons':
    case 'circles':
    case 'xor':
    case 'blobs': {
      const { X, y } = generateSynthetic(spec.type, spec.samples, spec.classes, spec.noise, spec.seed);
      const data = splitAndScale(X, y, 2, spec.classes, { testFraction: spec.testFraction, seed: spec.seed, standardize: false });
      return {
        name: spec.type,
        features: 2,
        classes: spec.classes,
        classNames: Array.from({ length: spec.classes }, (_, c) => String(c)),
        featureNames: ['x1', 'x2'],
        ...data,
        description: `${spec.type} (synthetic, seed ${spec.seed}): ${spec.samples} points, ${spec.classes} classes, noise ${spec.noise}, ${describeSplit(data)}`,
      };
    }
  }
}
