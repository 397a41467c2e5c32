/**
 * One config text in, one inspection out, as the side view needs it while the user types:
 * validate (syntax, schema, semantic rules), resolve, load the dataset (cached across edits:
 * the same spec is loaded once; a CSV is re-read and re-parsed only when its text changed),
 * inspect every variant (unchanged networks come from an InspectCache), and report how long
 * each part took. A superseded run is abandoned at the next check of `cancelled()`: after
 * validation, after the dataset, and between variants.
 *
 * Pure TypeScript: the host supplies file access through DataIO (src/node/io.ts in Node).
 */
import { checkConfig, type ConfigIssue } from '../config';
import { loadDataset } from '../datasets';
import { inspectVariant, InspectCache, now, summarizeDataset, type Inspection, type VariantInspection } from './inspect';
import { variantIndex } from './paths';
import { dataWarnings } from './warnings';
import { InputError, type DataIO, type Dataset, type DatasetSpec } from '../types';

export interface InspectTimings {
  /** parse + validate + resolve, ms */
  validate: number;
  /** dataset load (0 when cached) */
  dataset: number;
  datasetCached: boolean;
  /** every variant's inspection */
  inspect: number;
  /** variants whose init-time pass came from the cache */
  reused: number;
  total: number;
}

export interface DataProblem {
  message: string;
  /** the JSON path in the config it belongs to ($.dataset, $.dataset.path, $.dataset.label) */
  path: string;
  /** a position inside another file (the CSV), when known */
  file?: string;
  line?: number;
  column?: number;
}

export type InspectOutcome =
  | { kind: 'ok'; inspection: Inspection; issues: ConfigIssue[]; timings: InspectTimings }
  /** errors in the config: nothing could be inspected (issues has at least one error) */
  | { kind: 'invalid'; issues: ConfigIssue[]; timings: InspectTimings }
  /** the config is fine but its data could not be loaded */
  | { kind: 'dataError'; issues: ConfigIssue[]; problem: DataProblem; timings: InspectTimings }
  | { kind: 'cancelled' };

interface CachedData {
  data: Dataset;
  /** the CSV text it was parsed from */
  text?: string;
}

/** Folder part of a path (either separator), for keying CSV datasets by where they are looked up. */
const dirOf = (file: string): string => file.replace(/[\\/][^\\/]*$/, '');

export class InspectSession {
  private readonly datasets = new Map<string, CachedData>();
  readonly cache = new InspectCache();

  /** `ioFor(configFile)`: file access for a config (CSV paths are relative to its folder). */
  constructor(private readonly ioFor: (configFile: string) => DataIO, readonly maxDatasets = 3) {}

  /** Loads (or reuses) the dataset of `spec`. */
  async dataset(spec: DatasetSpec, file: string): Promise<{ data: Dataset; cached: boolean }> {
    const io = this.ioFor(file);
    const key = JSON.stringify(spec) + (spec.type === 'csv' ? `@${dirOf(file)}` : '');
    const hit = this.datasets.get(key);
    let text: string | undefined;
    if (spec.type === 'csv') {
      text = await io.readText(spec.path);
      if (hit && hit.text === text) return this.touch(key, hit);
    } else if (hit) {
      return this.touch(key, hit);
    }
    const csvText = text;
    const data = await loadDataset(spec, csvText === undefined ? io : { ...io, readText: async () => csvText }, file);
    this.datasets.set(key, { data, text });
    while (this.datasets.size > this.maxDatasets) this.datasets.delete(this.datasets.keys().next().value!);
    return { data, cached: false };
  }

  private touch(key: string, hit: CachedData): { data: Dataset; cached: boolean } {
    this.datasets.delete(key);
    this.datasets.set(key, hit);
    return { data: hit.data, cached: true };
  }

  async run(text: string, file: string, cancelled: () => boolean = () => false): Promise<InspectOutcome> {
    const t0 = now();
    const timings: InspectTimings = { validate: 0, dataset: 0, datasetCached: false, inspect: 0, reused: 0, total: 0 };
    const done = <T extends InspectOutcome>(o: T): T => {
      timings.total = now() - t0;
      return o;
    };
    // validateConfig, resolveConfig and parseConfigText from one parse
    const { issues, config: raw, resolved: cfgs } = checkConfig(text, file);
    if (!cfgs) {
      timings.validate = now() - t0;
      return done({ kind: 'invalid', issues, timings });
    }
    timings.validate = now() - t0;
    if (cancelled()) return { kind: 'cancelled' };

    const t1 = now();
    let data: Dataset;
    try {
      const d = await this.dataset(cfgs[0]!.dataset, file);
      data = d.data;
      timings.datasetCached = d.cached;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      timings.dataset = now() - t1;
      const inCsv = e.file !== undefined && e.file !== file;
      const path = /label column|\(dataset\.label\)/.test(e.message) ? '$.dataset.label' : inCsv || /CSV/.test(e.message) ? '$.dataset.path' : '$.dataset';
      const problem: DataProblem = { message: e.message, path, ...(inCsv ? { file: e.file, line: e.line, column: e.column } : {}) };
      return done({ kind: 'dataError', issues, problem, timings });
    }
    timings.dataset = now() - t1;
    if (cancelled()) return { kind: 'cancelled' };

    const t2 = now();
    const spec = cfgs[0]!.dataset;
    const dataset = summarizeDataset(data, spec);
    const variants: VariantInspection[] = [];
    for (let i = 0; i < cfgs.length; i++) {
      if (i > 0 && cancelled()) return { kind: 'cancelled' };
      const c = cfgs[i]!;
      const index = cfgs.length > 1 ? variantIndex(raw, c.variant) : -1;
      const v = inspectVariant(c, data, index, { config: raw, cache: this.cache });
      if (v.cached) timings.reused++;
      variants.push(v);
    }
    timings.inspect = now() - t2;
    const inspection: Inspection = { dataset, warnings: dataWarnings(data, spec, dataset, raw), variants };
    return done({ kind: 'ok', inspection, issues, timings });
  }
}
