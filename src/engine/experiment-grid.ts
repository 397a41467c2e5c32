/**
 * The grid of an experiment config, on the parsed (schema-valid) value: its seeds and the
 * combinations of its sweep. Pure and small, shared by the validator (config.ts checks every
 * combination as it checks a variant) and the expansion (experiment.ts).
 *
 * Order: the sweep's fields in the order the config writes them, the last one changing fastest;
 * `combinations` lists them in that order, each with the index of its value in each list.
 */
import { has, isObj, type Obj } from './guards';

/** Runs one experiment may have: variants x sweep combinations x seeds. */
export const MAX_RUNS = 10_000;

/** The largest training seed (the schema's maximum). */
export const MAX_SEED = 4294967295;

/** Whether a config is an experiment (it has seeds or a sweep): otherwise it trains as plain variants. */
export function isExperimentConfig(cfg: unknown): boolean {
  return isObj(cfg) && (has(cfg, 'seeds') || has(cfg, 'sweep'));
}

/**
 * The seeds of every combination: a list as given, or a count n as seed, seed+1, ..., seed+n-1
 * (seed: the config's, default 0); without "seeds", the one seed of the config.
 */
export function seedList(cfg: Obj): number[] {
  const base = typeof cfg.seed === 'number' ? cfg.seed : 0;
  const s = cfg.seeds;
  if (Array.isArray(s)) return s.filter((x): x is number => typeof x === 'number');
  if (typeof s === 'number') return Array.from({ length: s }, (_, i) => base + i);
  return [base];
}

/** The swept fields and their values, in the config's order ([] without a sweep). */
export function sweepAxes(cfg: Obj): [string, unknown[]][] {
  const sweep = cfg.sweep;
  if (!isObj(sweep)) return [];
  return Object.entries(sweep).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
}

export interface Combination {
  /** field -> value, in the sweep's field order */
  values: Obj;
  /** field -> index of the value in the sweep's list */
  index: Record<string, number>;
}

/** How many combinations the axes make (1 without a sweep). */
export function combinationCount(axes: [string, unknown[]][]): number {
  return axes.reduce((n, [, vs]) => n * vs.length, 1);
}

/** Every combination of the axes, the last axis fastest (one empty combination without a sweep). */
export function combinations(axes: [string, unknown[]][]): Combination[] {
  let out: Combination[] = [{ values: {}, index: {} }];
  for (const [field, vs] of axes) {
    const next: Combination[] = [];
    for (const c of out) {
      vs.forEach((v, i) => next.push({ values: { ...c.values, [field]: v }, index: { ...c.index, [field]: i } }));
    }
    out = next;
  }
  return out;
}

/** The runs a config makes: variants (1 without) x combinations x seeds. */
export function runCount(cfg: Obj): number {
  const variants = Array.isArray(cfg.variants) && cfg.variants.length ? cfg.variants.length : 1;
  return variants * combinationCount(sweepAxes(cfg)) * seedList(cfg).length;
}

/** A sweep value as it reads in a run's name: 0.1, 64x64x64, relu, normal(std=1), [] for no layers. */
export function valueText(v: unknown): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return v.every((x) => typeof x === 'number') ? v.join('x') : v.map(valueText).join(',');
  }
  if (isObj(v)) {
    const kind = typeof v.type === 'string' ? v.type : typeof v.scheme === 'string' ? v.scheme : '';
    const rest = Object.entries(v).filter(([k]) => !(kind && (k === 'type' || k === 'scheme')));
    const inner = rest.map(([k, x]) => `${k}=${valueText(x)}`).join(',');
    return kind ? (inner ? `${kind}(${inner})` : kind) : `{${inner}}`;
  }
  return String(v);
}
