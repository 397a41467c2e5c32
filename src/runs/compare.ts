/**
 * The Compare panel's snapshot: runs from different configs and dates (one run folder each,
 * loaded into one-variant RunModels by loader.ts) as the variants of one PanelRun, with a legend
 * that names what differs between them (variant, config, seed, sweep values, date). Built by the
 * extension host for the panel and by `mlp-lens report` for the HTML file.
 *
 * Pure: no vscode, node or DOM imports.
 */
import { valueText } from '../engine/experiment-grid';
import type { CompareField, CompareRunInfo, HostToCompare, PanelRun, PanelSettings } from '../shared/protocol';
import type { RunModel } from './model';

/** Runs one Compare shows, at most: one colour each from the theme's six chart colours (charts.blue, red, green, yellow, orange, purple). */
export const MAX_COMPARE_RUNS = 6;

export interface CompareInput {
  /** the run, loaded from its folder: one variant */
  model: RunModel;
  seed: number | null;
  sweep: Record<string, unknown>;
  /** the experiment run's name, if it is one ("lecture seed=2") */
  runName?: string;
}

/** "2026-11-20 09:12" (UTC): the same in the panel and in a report read elsewhere. */
export function utcMinute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso.slice(0, 16).replace('T', ' ') : d.toISOString().slice(0, 16).replace('T', ' ');
}

const sweepText = (sweep: Record<string, unknown>) => Object.fromEntries(Object.entries(sweep).map(([k, v]) => [k, typeof v === 'string' || typeof v === 'number' ? String(v) : valueText(v)]));

/** The fields whose values are not all equal across `runs`. */
export function differingFields(runs: readonly CompareRunInfo[]): CompareField[] {
  const out: CompareField[] = [];
  const varies = (f: (r: CompareRunInfo) => string) => new Set(runs.map(f)).size > 1;
  if (varies((r) => r.config)) out.push('config');
  if (varies((r) => r.variant)) out.push('variant');
  if (varies((r) => String(r.seed))) out.push('seed');
  if (varies((r) => JSON.stringify(Object.entries(r.sweep).sort()))) out.push('sweep');
  if (varies((r) => r.date)) out.push('date');
  return out;
}

/** A run's legend label: the values of the fields that differ, in a fixed order. */
export function labelFor(r: CompareRunInfo, differs: readonly CompareField[], all: readonly CompareRunInfo[]): string {
  const parts: string[] = [];
  for (const f of differs) {
    if (f === 'config') parts.push(r.config);
    else if (f === 'variant') parts.push(r.variant);
    else if (f === 'seed') parts.push(`seed ${r.seed ?? '?'}`);
    else if (f === 'sweep') {
      const keys = [...new Set(all.flatMap((x) => Object.keys(x.sweep)))].filter((k) => new Set(all.map((x) => x.sweep[k] ?? '')).size > 1);
      parts.push(keys.map((k) => `${k}=${r.sweep[k] ?? '–'}`).join(' '));
    } else parts.push(r.date);
  }
  return parts.filter(Boolean).join(' · ') || `${r.config} · ${r.variant}`;
}

/** The snapshot (see the file's comment); labels made unique with " (2)", ... when two runs read alike. */
export function compareSnapshot(id: string, inputs: readonly CompareInput[], settings: PanelSettings, binary = false): HostToCompare {
  const infos: CompareRunInfo[] = inputs.map((i) => {
    const v = i.model.variants[0]!;
    const s = v.meta.summary;
    const startedAt = s?.startedAt ?? i.model.startedAt;
    return {
      label: '', config: i.model.title, variant: v.meta.name, seed: i.seed, sweep: sweepText(i.sweep),
      date: utcMinute(startedAt), startedAt, status: v.meta.status, testAccuracy: s?.test?.accuracy ?? null, steps: v.meta.step,
    };
  });
  const differs = differingFields(infos);
  const seen = new Map<string, number>();
  for (const info of infos) {
    const base = labelFor(info, differs, infos);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    info.label = n === 1 ? base : `${base} (${n})`;
  }
  const variants = inputs.map((i, k) => ({ ...i.model.runInfo().variants[0]!, name: infos[k]!.label }));
  const run: PanelRun = {
    id, title: `Compare ${inputs.length} runs`, configFile: null, dataset: null, status: 'completed', message: null, live: false,
    startedAt: infos.map((r) => r.startedAt).sort()[0] ?? '', variants,
  };
  return {
    type: 'compareSnapshot', id, run,
    columns: inputs.map((i) => (i.model.variants[0]!.store.meta ? i.model.variants[0]!.store.pack(0, undefined, binary) : null)),
    epochs: inputs.map((i) => i.model.variants[0]!.epochs.slice()),
    settings, runs: infos, differs,
  };
}
