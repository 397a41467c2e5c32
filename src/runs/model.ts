/**
 * A run as the training panel shows it: per variant, its status and progress, a bounded
 * downsampled history (ColumnStore) and its epoch records. The extension host fills one from
 * the training worker's messages or from run folders on disk; the CLI fills one for its HTML
 * report. Both then hand the panel the same snapshot.
 *
 * Pure: no vscode, node or DOM imports.
 */
import type { Divergence, EpochRecord, StepRecord } from '../engine/trainer';
import type { ResolvedConfig } from '../engine/types';
import type { HostToPanel, PlaneView, RegionFrame, VariantPictures, PanelRun, PanelRunStatus, PanelSettings, PanelVariant, PanelVariantStatus } from '../shared/protocol';
import type { RunSummary } from './summary';
import { ColumnStore, type LayerMeta } from '../shared/columns';
import type { SeedGroup } from '../shared/seed-stats';

export const DEFAULT_PANEL_SETTINGS: PanelSettings = { gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 };

export interface VariantModel {
  meta: PanelVariant;
  store: ColumnStore;
  epochs: EpochRecord[];
  /** 2-feature data: the newest decision-region frame (live), or one per hidden layer (a report) */
  regions: RegionFrame[];
  /** counts region updates (the panel sends a frame when it changed) */
  regionsGen: number;
  /** image data: the newest weight pictures and misclassified strip, and counts of their updates */
  pictures: VariantPictures;
  weightsGen: number;
  errorsGen: number;
  /** a run opened from its folder, of image data: where its first-layer weights are read from, a page at a time */
  weightsOnDisk?: WeightsOnDisk;
}

/** A run folder's model.bin as the source of its weight pictures (loader.ts, weightPageFromDisk). */
export interface WeightsOnDisk {
  dir: string;
  /** the folder the file must stay inside (null: the run folder's own real path) */
  root: string | null;
  /** the first layer's inputs (the image's pixels) and units */
  inputs: number;
  units: number;
  /** the network's parameters: model.bin holds 4 bytes of each */
  parameters: number;
  shape: [number, number];
  step: number;
  epoch: number;
}

export class RunModel {
  status: PanelRunStatus = 'starting';
  message: string | null = null;
  live = false;
  /** a live run held between steps (Pause) */
  paused = false;
  dataset: string | null = null;
  /** 2-feature data: the plane of the decision regions and the data's points */
  plane: PlaneView | null = null;
  readonly variants: VariantModel[];
  /** a seeds experiment: its runs (the variants) grouped by variant over the seeds */
  groups: SeedGroup[] | null = null;
  private listeners: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly title: string,
    readonly configFile: string | null,
    configs: Pick<ResolvedConfig, 'variant' | 'epochs'>[],
    readonly capacity: number,
    readonly startedAt = new Date().toISOString(),
  ) {
    this.variants = configs.map((c) => ({
      meta: {
        name: c.variant, status: 'waiting', runDir: null, layers: null, step: 0, totalSteps: 0, epoch: 0,
        epochsPlanned: c.epochs, capacity, divergence: null, summary: null,
      },
      store: new ColumnStore(capacity),
      epochs: [],
      regions: [],
      regionsGen: 0,
      pictures: { weights: null, errors: null },
      weightsGen: 0,
      errorsGen: 0,
    }));
  }

  variant(name: string): VariantModel | undefined {
    return this.variants.find((v) => v.meta.name === name);
  }

  /** Call fn after every change (the panel schedules a batched update). Returns an unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.push(fn);
    return () => { this.listeners = this.listeners.filter((l) => l !== fn); };
  }

  changed(): void {
    for (const l of this.listeners) l();
  }

  started(variants: string[], runDirs: string[], dataset: string): void {
    this.status = 'running';
    this.message = null;
    this.live = true;
    this.dataset = dataset;
    variants.forEach((name, i) => {
      const v = this.variant(name);
      if (v) {
        v.meta.runDir = runDirs[i] ?? null;
        v.meta.status = 'running';
      }
    });
    this.changed();
  }

  records(name: string, steps: StepRecord[], epochs: EpochRecord[], progress: { step: number; totalSteps: number; epoch: number } | null): void {
    const v = this.variant(name);
    if (!v) return;
    for (const s of steps) v.store.push(s);
    v.meta.layers ??= v.store.meta;
    v.epochs.push(...epochs);
    if (progress) {
      v.meta.step = progress.step;
      v.meta.totalSteps = progress.totalSteps;
      v.meta.epoch = progress.epoch;
    } else if (steps.length) {
      v.meta.step = steps[steps.length - 1]!.step;
      v.meta.epoch = steps[steps.length - 1]!.epoch;
    }
    this.changed();
  }

  /** Records packed by the worker (RecordPacker, src/shared/columns.ts) or by the reader of metrics.bin; `means`: columns it averaged (ColumnStore.pushMeans). */
  packedRecords(
    name: string, layers: LayerMeta[] | null, data: Float64Array, count: number, epochs: EpochRecord[], progress: { step: number; totalSteps: number; epoch: number },
    means?: { weights: Float64Array; stepFrom: Float64Array; stride: number },
  ): void {
    const v = this.variant(name);
    if (!v) return;
    if (layers && count && means) v.store.pushMeans(layers, data, count, means.weights, means.stepFrom, means.stride);
    else if (layers && count) v.store.pushPacked(layers, data, count);
    v.meta.layers ??= v.store.meta;
    v.epochs.push(...epochs);
    v.meta.step = progress.step;
    v.meta.totalSteps = progress.totalSteps;
    v.meta.epoch = progress.epoch;
    this.changed();
  }

  setPlane(plane: PlaneView): void {
    this.plane = plane;
    this.changed();
  }

  /** A variant's decision regions: the newest frame (live), or one frame per hidden layer (a report). */
  setRegions(name: string, frames: RegionFrame[]): void {
    const v = this.variant(name);
    if (!v) return;
    v.regions = frames;
    v.regionsGen++;
    this.changed();
  }

  /** Image data: a variant's newest weight pictures and/or misclassified strip. */
  setPictures(name: string, p: Partial<VariantPictures>): void {
    const v = this.variant(name);
    if (!v) return;
    if (p.weights) {
      v.pictures.weights = p.weights;
      v.weightsGen++;
    }
    if (p.errors) {
      v.pictures.errors = p.errors;
      v.errorsGen++;
    }
    this.changed();
  }

  variantDone(name: string, runDir: string | null, summary: RunSummary): void {
    const v = this.variant(name);
    if (!v) return;
    v.meta.runDir = runDir ?? v.meta.runDir;
    v.meta.summary = summary;
    v.meta.status = summary.status === 'running' ? 'interrupted' : summary.status;
    v.meta.step = summary.steps;
    v.meta.totalSteps = summary.stepsPlanned;
    v.meta.epoch = summary.epochs;
    v.meta.divergence = summary.divergence ?? null;
    // trained here, of image data: further pages of its weight pictures come from its model.bin
    const f = v.pictures.weights;
    if (f && v.meta.runDir) {
      v.weightsOnDisk = {
        dir: v.meta.runDir, root: null, inputs: f.shape[0] * f.shape[1], units: f.layerUnits,
        parameters: summary.parameters, shape: f.shape, step: summary.steps, epoch: summary.epochs,
      };
    }
    this.changed();
  }

  /** The run ended (worker finished, stopped, crashed, or the run was loaded from disk). */
  finish(status: PanelRunStatus, message: string | null = null): void {
    this.live = false;
    this.paused = false;
    this.status = status;
    this.message = message;
    const variantStatus: PanelVariantStatus | null = status === 'crashed' ? 'crashed' : status === 'stopped' ? 'stopped' : status === 'interrupted' ? 'interrupted' : null;
    for (const v of this.variants) {
      if ((v.meta.status === 'running' || v.meta.status === 'waiting') && variantStatus) v.meta.status = variantStatus;
    }
    this.changed();
  }

  /**
   * The run's overall status from its variants': crashed or failed (its record could not be
   * written) if any was, diverged if any diverged, else the least finished.
   */
  static overall(variants: PanelVariantStatus[]): PanelRunStatus {
    if (variants.includes('crashed')) return 'crashed';
    if (variants.includes('failed')) return 'failed';
    if (variants.includes('running') || variants.includes('waiting')) return 'running';
    if (variants.includes('interrupted')) return 'interrupted';
    if (variants.includes('stopped')) return 'stopped';
    if (variants.includes('diverged')) return 'diverged';
    return 'completed';
  }

  get divergences(): { variant: string; divergence: Divergence }[] {
    return this.variants.filter((v) => v.meta.divergence).map((v) => ({ variant: v.meta.name, divergence: v.meta.divergence! }));
  }

  runInfo(): PanelRun {
    return {
      id: this.id, title: this.title, configFile: this.configFile, dataset: this.dataset, status: this.status,
      message: this.message, live: this.live, paused: this.paused, startedAt: this.startedAt,
      variants: this.variants.map((v) => ({ ...v.meta, layers: v.meta.layers ?? v.store.meta })),
      ...(this.groups ? { groups: this.groups } : {}),
    };
  }

  snapshot(settings: PanelSettings): Extract<HostToPanel, { type: 'snapshot' }> {
    return {
      type: 'snapshot',
      run: this.runInfo(),
      columns: this.variants.map((v) => (v.store.meta ? v.store.pack() : null)),
      epochs: this.variants.map((v) => v.epochs.slice()),
      settings,
      plane: this.plane,
      regions: this.variants.map((v) => v.regions),
      pictures: this.variants.map((v) => ({ ...v.pictures })),
    };
  }

  get runDirs(): string[] {
    return this.variants.map((v) => v.meta.runDir).filter((d): d is string => !!d);
  }
}

/**
 * The panels' titles, by run id: "MLP Lens: <run title>"; where two or more open panels show runs
 * of the same title (a config trained again), each also gets its run's start time (local, to the
 * second), so that their tabs can be told apart.
 */
export function panelTitles(runs: readonly { id: string; title: string; startedAt: string }[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.title, (count.get(r.title) ?? 0) + 1);
  const two = (n: number) => String(n).padStart(2, '0');
  const out = new Map<string, string>();
  for (const r of runs) {
    const base = `MLP Lens: ${r.title}`;
    const t = new Date(r.startedAt);
    const shared = count.get(r.title)! > 1 && !Number.isNaN(t.getTime());
    out.set(r.id, shared ? `${base} (${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())})` : base);
  }
  return out;
}
