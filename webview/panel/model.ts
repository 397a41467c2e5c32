/**
 * The panel's copy of a run: snapshot, then deltas. Mirrors the host's RunModel with the same
 * ColumnStore, so a column index means the same thing on both sides.
 */
import type { EpochRecord } from '../../src/engine/trainer';
import type { HostToPanel, PanelRun, PanelSettings, PanelVariant, PlaneView, RegionFrame, VariantPictures } from '../../src/shared/protocol';
import { ColumnStore } from '../../src/shared/columns';

export interface ClientVariant {
  meta: PanelVariant;
  store: ColumnStore;
  epochs: EpochRecord[];
  /** the first column changed since the last draw (Infinity: none) */
  dirtyFrom: number;
  /** 2-feature data: decision-region frames (live: the newest; a report: one per hidden layer) */
  regions: RegionFrame[];
  /** image data: the newest first-layer weight pictures and misclassified test examples */
  pictures: VariantPictures;
}

/**
 * Steps a variant's x axes span: its plan while the run trains, the steps it did once the run has
 * ended (a run stopped at 5% of its plan would otherwise draw everything in the left 5%; the
 * status and "step 9000/180000" say that it ended early).
 */
function stepSpan(v: ClientVariant, live: boolean): number {
  return live ? v.meta.totalSteps || v.meta.step : v.meta.step;
}

/** Steps the curves' x axis spans: the longest of the variants' spans. */
export function runStepSpan(r: ClientRun): number {
  return Math.max(1, ...r.variants.map((v) => stepSpan(v, r.run.live)));
}

/**
 * Steps a variant's heatmaps span: its own plan while the run trains (they fill as it goes); once
 * the run has ended, the run's span, so the variants side by side share one step axis, as the
 * curves do.
 */
export function heatmapSpan(r: ClientRun, v: ClientVariant): number {
  return r.run.live ? stepSpan(v, true) : runStepSpan(r);
}

export type Snapshot = Extract<HostToPanel, { type: 'snapshot' }>;
export type Delta = Extract<HostToPanel, { type: 'delta' }>;

export class ClientRun {
  run: PanelRun;
  settings: PanelSettings;
  variants: ClientVariant[];
  /** 2-feature data: the plane of the decision regions */
  plane: PlaneView | null;
  /** bumps whenever the set of variants or their layers changes (the DOM must be rebuilt) */
  shape = 0;

  constructor(s: Snapshot) {
    this.run = s.run;
    this.settings = s.settings;
    this.plane = s.plane ?? null;
    this.variants = s.run.variants.map((meta, i) => {
      const store = new ColumnStore(Math.max(2, meta.capacity));
      if (meta.layers) store.setLayers(meta.layers);
      const block = s.columns[i];
      if (block && meta.layers) store.apply(block);
      return { meta, store, epochs: s.epochs[i]?.slice() ?? [], dirtyFrom: 0, regions: s.regions?.[i] ?? [],
        pictures: { weights: s.pictures?.[i]?.weights ?? null, errors: s.pictures?.[i]?.errors ?? null } };
    });
  }

  /** Apply a delta. Returns false when it does not line up (the caller asks for a snapshot). */
  apply(d: Delta): boolean {
    if (d.runId !== this.run.id) return false;
    this.run.status = d.status;
    this.run.message = d.message;
    this.run.live = d.live;
    this.run.paused = d.paused ?? false;
    if (d.plane && !this.plane) {
      this.plane = d.plane;
      this.shape++;
    }
    for (const vd of d.variants) {
      const v = this.variants[vd.index];
      if (!v) return false;
      const hadLayers = !!v.store.meta;
      v.meta = vd.meta;
      this.run.variants[vd.index] = vd.meta;
      if (!hadLayers && vd.meta.layers) {
        v.store.setLayers(vd.meta.layers);
        this.shape++;
      }
      if (vd.columns) {
        if (!v.store.meta) return false;
        try {
          v.store.apply(vd.columns); // compacts first if the host did, then checks the block lines up
        } catch {
          return false;
        }
        v.dirtyFrom = Math.min(v.dirtyFrom, vd.columns.compact ? 0 : vd.columns.from);
      }
      v.epochs.push(...vd.epochs);
      if (vd.regions) v.regions = [vd.regions];
      if (vd.weights) v.pictures.weights = vd.weights;
      if (vd.errorStrip) v.pictures.errors = vd.errorStrip;
    }
    return true;
  }

  /** Steps trained so far, all variants together (the live counter). */
  get stepsDone(): number {
    return this.variants.reduce((a, v) => a + v.meta.step, 0);
  }

  get stepsPlanned(): number {
    return this.variants.reduce((a, v) => a + v.meta.totalSteps, 0);
  }

  /** Columns held, all variants together. */
  get columns(): number {
    return this.variants.reduce((a, v) => a + v.store.count, 0);
  }
}
