/**
 * Experiments: a config with "seeds" and/or "sweep" expands into many runs, every variant crossed
 * with every sweep combination and every seed. Each run is an ordinary ResolvedConfig (its
 * `variant` is the run's name) plus its identity (variant, sweep values, seed) and a name a person
 * can read: "relu+he lr=0.1 layers=64x64x64 seed=2".
 *
 * The order is fixed: variants in the config's order, then sweep combinations (the sweep's fields
 * in the config's order, the last one fastest), then seeds. A shard i/n (1-based i) takes every
 * n-th run of that order starting at the i-th, so the shards 1/n ... n/n together take every run
 * exactly once.
 */
import { parseValidConfig, resolveRun } from './config';
import { combinations, isExperimentConfig, seedList, sweepAxes, valueText } from './experiment-grid';
import type { Obj } from './guards';
import { InputError, type ResolvedConfig } from './types';

export interface ExperimentRun {
  /** 1-based position in the experiment's order (the full grid, before any shard) */
  id: number;
  /** "relu+he lr=0.1 layers=64x64x64 seed=2" (the variant only when the config has variants) */
  name: string;
  /** the variant's name ("base" without variants) */
  variant: string;
  /** the swept fields' values, in the sweep's order ({} without a sweep) */
  sweep: Obj;
  seed: number;
  /** the run's resolved config: an ordinary one, its `variant` the run's name */
  config: ResolvedConfig;
}

export interface ExperimentGrid {
  variants: string[];
  /** field -> values, in the config's order */
  sweep: Record<string, unknown[]>;
  seeds: number[];
  /** the dataset's seed follows the run's seed */
  seedData: boolean;
}

export interface Experiment {
  name: string;
  grid: ExperimentGrid;
  runs: ExperimentRun[];
}

/** A run's name: the variant (when the config has variants), each swept value, the seed. */
export function runName(variant: string | null, sweep: Obj, seed: number): string {
  const parts = variant === null ? [] : [variant];
  for (const [k, v] of Object.entries(sweep)) parts.push(`${k}=${valueText(v)}`);
  parts.push(`seed=${seed}`);
  return parts.join(' ');
}

/** Whether a config text is an experiment (has seeds or a sweep); throws an InputError if it is invalid. */
export function isExperiment(text: string, file: string): boolean {
  return isExperimentConfig(parseValidConfig(text, file));
}

/** Whether a config text has a sweep (a grid of fields, not only seeds); throws an InputError if it is invalid. */
export function hasSweep(text: string, file: string): boolean {
  return sweepAxes(parseValidConfig(text, file)).length > 0;
}

/** Every run of a config, in the experiment's order; throws an InputError when the config is invalid. */
export function resolveExperiment(text: string, file: string): Experiment {
  const cfg = parseValidConfig(text, file);
  const variants: (Obj | undefined)[] = Array.isArray(cfg.variants) && cfg.variants.length ? (cfg.variants as Obj[]) : [undefined];
  const axes = sweepAxes(cfg);
  const seeds = seedList(cfg);
  const seedData = cfg.seedData === true;
  const runs: ExperimentRun[] = [];
  for (const v of variants) {
    for (const combo of combinations(axes)) {
      for (const seed of seeds) {
        const base = resolveRun(cfg, v, file, combo.values, seed);
        const name = runName(v ? base.variant : null, combo.values, seed);
        const config: ResolvedConfig = { ...base, variant: name, dataset: seedData ? { ...base.dataset, seed } : base.dataset };
        runs.push({ id: runs.length + 1, name, variant: base.variant, sweep: combo.values, seed, config });
      }
    }
  }
  const name = runs[0]!.config.name;
  const grid: ExperimentGrid = { variants: variants.map((v) => (v ? (v.name as string) : 'base')), sweep: Object.fromEntries(axes), seeds, seedData };
  return { name, grid, runs };
}

/**
 * Command-line choices on an experiment: only the runs of one variant; another epoch count for
 * every run (refused when the sweep sets epochs); another seed (refused when the config lists
 * seeds: they are the experiment's).
 */
export function withExperimentOverrides(exp: Experiment, o: { seed?: number; epochs?: number; variant?: string }): Experiment {
  let runs = exp.runs;
  if (o.variant !== undefined) {
    runs = runs.filter((r) => r.variant === o.variant);
    if (!runs.length) throw new InputError(`unknown variant "${o.variant}"; the config has: ${exp.grid.variants.join(', ')}`);
  }
  if (o.epochs !== undefined) {
    if ('epochs' in exp.grid.sweep) throw new InputError('--epochs cannot be used: the sweep sets epochs');
    runs = runs.map((r) => ({ ...r, config: { ...r.config, epochs: o.epochs! } }));
  }
  if (o.seed !== undefined) {
    if (exp.grid.seeds.length > 1 || runs.some((r) => r.config.seed !== runs[0]!.config.seed)) {
      throw new InputError('--seed cannot be used: the config lists its seeds ("seeds")');
    }
    const seed = o.seed;
    runs = runs.map((r) => {
      const name = runName(exp.grid.variants.length > 1 || r.variant !== 'base' ? r.variant : null, r.sweep, seed);
      const dataset = exp.grid.seedData ? { ...r.config.dataset, seed } : r.config.dataset;
      return { ...r, name, seed, config: { ...r.config, variant: name, seed, dataset } };
    });
    return { ...exp, grid: { ...exp.grid, seeds: [seed] }, runs };
  }
  return { ...exp, runs };
}

export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

/** "2/4" -> { index: 2, count: 4 }; null when the text is not a shard i/n with 1 <= i <= n. */
export function parseShard(text: string): Shard | null {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  if (!m) return null;
  const index = Number(m[1]), count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : null;
}

/** The shard's runs: every count-th run of the list, starting at the index-th. */
export function shardRuns<T>(runs: T[], shard: Shard): T[] {
  return runs.filter((_, k) => k % shard.count === shard.index - 1);
}
