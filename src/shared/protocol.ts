/**
 * Every message between the extension host, the training worker and the webviews, typed as
 * discriminated unions on `type`. One place: host, worker and webview code import from here.
 */
import type { Divergence, EpochRecord } from '../engine/trainer';
import type { RunSummary } from '../runs/summary';
import type { LayerMeta, PackedColumns } from './columns';
import type { Inspection } from '../engine/inspect/inspect';
import type { InspectOutcome, InspectTimings } from '../engine/inspect/session';
import type { PlaneBounds } from '../engine/regions';
import type { HiddenActivation } from '../engine/types';
import type { BandMode, SeedGroup } from './seed-stats';

/** Host -> training worker. */
export type HostToWorker =
  | {
      type: 'start';
      /** the config text (unsaved edits included) and the file it came from */
      configText: string;
      configFile: string;
      /** train only this variant (default: all) */
      variant?: string;
      /** parent folder for run records; each variant gets <outDir>/<time>-<config>-<variant>/ */
      outDir: string;
      /** how step records are written (mlpLens.recordFormat; default "binary": metrics.bin) */
      recordFormat?: 'binary' | 'jsonl';
      /** media/datasets of the extension or CLI */
      assetDir: string;
      /** how often, at most, the worker posts batched records (ms); it trains the variants side by side */
      postIntervalMs: number;
      /** an Int32Array's shared buffer: the host stores 1 in it to stop (seen before the next step, no message round trip) */
      stopFlag?: SharedArrayBuffer;
      /**
       * A seeds experiment (engine/experiment.ts): train these of its runs (index: the run's
       * position in resolveExperiment's order) into these folders, instead of the config's
       * variants; several workers share an experiment's runs, one thread each.
       */
      runs?: { index: number; dir: string }[];
    }
  /**
   * Continue stopped or completed runs, one folder per variant (src/node/continue-run.ts): to
   * `epochs` in all (default: each run's planned epochs), at learning rate `lr` from there on.
   */
  | {
      type: 'continue';
      runDirs: string[];
      epochs?: number;
      lr?: number;
      assetDir: string;
      postIntervalMs: number;
      stopFlag?: SharedArrayBuffer;
    }
  | { type: 'stop' }
  /** hold training between steps; 'step' then trains exactly one minibatch of each variant (recording its probes); 'resume' goes on */
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'resume' }
  /** the hidden layer whose units' pictures the decision-region frames carry (-1: none) */
  | { type: 'regionLayer'; layer: number }
  /** image data: the first first-layer unit of the weight pictures posted (a page of WEIGHT_PAGE) */
  | { type: 'weightPage'; first: number };

/** Where an input problem is, for diagnostics. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

/** Training worker -> host. Step and epoch records come batched, never one message per step. */
export type WorkerToHost =
  | { type: 'started'; variants: string[]; runDirs: string[]; dataset: string }
  /** a variant's step records packed by RecordPacker (src/shared/columns.ts); layers: null when count is 0 */
  | { type: 'packedRecords'; variant: string; layers: LayerMeta[] | null; count: number; data: Float64Array; epochs: EpochRecord[]; progress: { step: number; totalSteps: number; epoch: number } }
  | { type: 'variantDone'; variant: string; runDir: string; summary: RunSummary }
  /** 2-feature data: the plane and its points (once, after 'started'), then each variant's region frames, a few a second */
  | { type: 'plane'; plane: PlaneView }
  | { type: 'regions'; variant: string; frame: RegionFrame }
  /** image data: a variant's first-layer weights as pictures (a few a second) and its misclassified test examples (after an epoch) */
  | { type: 'pictures'; variant: string; weights?: WeightFrame; errors?: ErrorStrip }
  /** stopMs: from the worker first seeing Stop to this message (its run records final), when stopped */
  | { type: 'finished'; stopped: boolean; stopMs?: number }
  /** the worker took a pause or resume: held between steps, or training on */
  | { type: 'paused'; paused: boolean }
  | ({ type: 'inputError'; message: string } & ErrorLocation)
  | { type: 'crashed'; message: string; stack?: string };

/**
 * The points of one split on the plane, at most PLANE_MAX_POINTS (an even subsample of more):
 * xy a Float32Array [x, y, x, y, …] and y a Uint8Array of labels, as base64.
 */
export interface PlanePoints {
  count: number;
  xy: string;
  y: string;
}

/** 2-feature data: the plane the decision regions cover (standardized features) and the data's points. */
export interface PlaneView {
  bounds: PlaneBounds;
  classes: number;
  classNames: string[];
  featureNames: string[];
  train: PlanePoints;
  test: PlanePoints;
}

/**
 * A variant's decision regions at one step (engine/regions.ts): grid, size×size cells row-major
 * from the top left, [class, confidence 0..255] each; thumbs, for hidden layer `layer` (-1: none),
 * `units` pictures of side×side activations quantized to 0..255 over `range`. Byte arrays as base64.
 */
export interface RegionFrame {
  step: number;
  epoch: number;
  size: number;
  grid: string;
  layer: number;
  activation: HiddenActivation | null;
  /** the layer's width (units may show only the first of a wide layer) */
  layerUnits: number;
  units: number;
  side: number;
  range: [number, number];
  thumbs: string;
}

/**
 * Image data (digits, MNIST): a variant's misclassified test examples at an epoch's end (its
 * record's errors.misclassified with their pixels). pixels: H·W grey bytes per example (0..255
 * over the example's own range), base64.
 */
export interface ErrorStrip {
  epoch: number;
  step: number;
  shape: [number, number];
  /** per example: its test index, true class and predicted class */
  index: number[];
  truth: number[];
  predicted: number[];
  pixels: string;
}

/**
 * Image data: first-layer units first..first+count-1 of `layerUnits`, each unit's weights as an
 * H·W image of bytes (engine/pictures.ts: 128 is 0, 1 and 255 are ∓scales[u]), base64.
 */
export interface WeightFrame {
  step: number;
  epoch: number;
  shape: [number, number];
  first: number;
  count: number;
  layerUnits: number;
  scales: number[];
  pixels: string;
}

/** A variant's newest pictures of image data (null: none yet, or not image data). */
export interface VariantPictures {
  weights: WeightFrame | null;
  errors: ErrorStrip | null;
}

// ---------------------------------------------------------------------------------------------
// Training panel (webview "panel": webview/panel/main.ts) <-> extension host (src/host/panel.ts).
// The host sends a snapshot when the webview says it is ready (first load, reload after being
// hidden or moved, window reload), then deltas, at most mlpLens.updateRate per second.

/** A variant's state as the panel shows it. */
export type PanelVariantStatus = 'waiting' | 'running' | 'completed' | 'stopped' | 'diverged' | 'interrupted' | 'crashed' | 'failed';
/** The whole run's state. */
export type PanelRunStatus = 'starting' | 'running' | 'completed' | 'stopped' | 'diverged' | 'interrupted' | 'crashed' | 'failed';

export interface PanelVariant {
  name: string;
  status: PanelVariantStatus;
  runDir: string | null;
  /** known once the first step record arrived */
  layers: LayerMeta[] | null;
  step: number;
  totalSteps: number;
  epoch: number;
  epochsPlanned: number;
  /** the history's column capacity (columns merge pairwise beyond it) */
  capacity: number;
  divergence: Divergence | null;
  summary: RunSummary | null;
}

export interface PanelRun {
  /** unique per run (and per opened run folder set) */
  id: string;
  title: string;
  configFile: string | null;
  dataset: string | null;
  status: PanelRunStatus;
  /** a line for the user: why it stopped, crashed, ... */
  message: string | null;
  /** true while a worker trains it in this window */
  live: boolean;
  /** a live run held between steps (Pause); Step trains one minibatch */
  paused?: boolean;
  startedAt: string;
  variants: PanelVariant[];
  /**
   * A seeds experiment: the variants above are its runs (one per variant and seed), grouped by
   * variant. Absent (or no group with two seeds): the panel shows every run side by side.
   */
  groups?: SeedGroup[];
}

export interface PanelSettings {
  gradientScale: 'window' | 'fixed';
  gradientDomain: [number, number];
  /** columns the windowed scale looks at */
  colorWindow: number;
}

export interface PanelVariantDelta {
  index: number;
  meta: PanelVariant;
  /** changed columns (null: none) */
  columns: PackedColumns | null;
  /** epoch records not sent before */
  epochs: EpochRecord[];
  /** the newest region frame, when it changed since the last message */
  regions?: RegionFrame;
  /** image data: the newest weight pictures and misclassified strip, each when it changed */
  weights?: WeightFrame;
  errorStrip?: ErrorStrip;
}

export type HostToPanel =
  | {
    type: 'snapshot'; run: PanelRun; columns: (PackedColumns | null)[]; epochs: EpochRecord[][]; settings: PanelSettings; plane?: PlaneView | null; regions?: RegionFrame[][]; pictures?: VariantPictures[];
    /**
     * latency stamps (wallMs, src/shared/clock.ts): the host created the panel; the webview's
     * ready or resync reached the host; the host posted this
     */
    createdAt?: number; readyAt?: number; postedAt?: number;
  }
  | { type: 'delta'; runId: string; status: PanelRunStatus; message: string | null; live: boolean; paused?: boolean; variants: PanelVariantDelta[]; plane?: PlaneView }
  | { type: 'settings'; settings: PanelSettings };

export type PanelToHost =
  /** loaded (or reloaded) and wants a snapshot; runId from its saved state, if any */
  | { type: 'ready'; runId: string | null }
  /** its columns do not line up with a delta: send a snapshot again */
  | { type: 'resync'; runId: string }
  | { type: 'stop'; runId: string }
  /** a live run: hold it between steps, train one minibatch while held, go on */
  | { type: 'pause'; runId: string }
  | { type: 'step'; runId: string }
  | { type: 'resume'; runId: string }
  /** a stopped or completed run: train it on (the host asks for the epochs and learning rate) */
  | { type: 'continueRun'; runId: string }
  | { type: 'export'; runId: string }
  /**
   * Save the panel as drawn: `data` is a PNG (base64, no data: prefix) or an SVG document; the
   * host asks where (src/host/panel-export.ts). At most MAX_EXPORT_CHARS characters.
   */
  | { type: 'exportImage'; runId: string; format: 'png' | 'svg'; data: string }
  /** Save the data behind the panel as one tidy CSV (the host reads the runs' records) */
  | { type: 'exportCsv'; runId: string }
  | { type: 'openConfig'; runId: string }
  /** show the units of this hidden layer in the decision-region pictures */
  | { type: 'regionLayer'; runId: string; layer: number }
  /** show the first-layer weight pictures from this unit on (a page) */
  | { type: 'weightPage'; runId: string; first: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** The webview's saved state (getState/setState), also what the WebviewPanelSerializer gets back. */
export interface PanelState {
  runId: string | null;
  /** run folders, to reload the run from disk after a window reload */
  runDirs: string[];
  title: string;
  ui: PanelUiState;
}

export interface PanelUiState {
  gradient: 'delta' | 'gradW';
  /** per variant: the layer whose units are shown */
  unitLayer: number;
  /** null: follow the settings */
  scale: 'window' | 'fixed' | null;
  showTable: boolean;
  /** seed view: the band around the mean curve (default min–max) */
  band?: BandMode;
  /** seed view: the seed whose heatmaps a variant shows, by variant (absent: the median seed) */
  seedChoice?: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Inspector side view (webview "inspector": webview/inspector/main.ts) <-> extension host
// (src/sideview/), and the host <-> inspection worker (src/node/inspect-worker.ts).

/** Host -> inspection worker. */
export type HostToInspectWorker =
  | {
      type: 'init';
      /** media/datasets */
      assetDir: string;
      /** Int32Array(1) view: the id of the newest request; a running older one stops at its next check */
      generation: SharedArrayBuffer;
    }
  | { type: 'inspect'; id: number; text: string; file: string };

/** Inspection worker -> host. */
export type InspectWorkerToHost =
  | { type: 'result'; id: number; outcome: InspectOutcome }
  | { type: 'crashed'; id: number; message: string; stack?: string };

/** The latest run record of one variant of the inspected config. */
export interface InspectorRun {
  variant: string;
  runDir: string;
  status: string;
  epochs: number;
  epochsPlanned: number;
  trainAccuracy: number | null;
  testAccuracy: number | null;
  finishedAt: string | null;
}

/** A problem of the current config text, as the view lists it. */
export interface InspectorProblem {
  severity: 'error' | 'warning';
  message: string;
  path: string;
  line: number;
  column: number;
  /** a problem inside another file (a CSV) */
  file?: string;
}

export interface InspectorView {
  /** the config's fsPath (or URI string for untitled documents) and its base name */
  file: string;
  fileName: string;
  /** document version the inspection is of */
  version: number;
  /** fresh: of the current text; stale: the current text is broken, this is the last good result */
  state: 'fresh' | 'stale';
  inspection: Inspection | null;
  /** problems of the current text (errors make the result stale) */
  problems: InspectorProblem[];
  /** where each warning's JSON path is in the text: [line, column], 1-based */
  locations: Record<string, [number, number]>;
  timings: InspectTimings | null;
  /** ms from the last edit to the result (debounce included), when an edit triggered it */
  latencyMs: number | null;
  /**
   * Wall-clock times (ms since the epoch, sub-millisecond) for the latency tests: the extension
   * host saw the edit (null: no edit triggered this view) and posted this view. The webview adds
   * when it received and drew it (render.ts), so the path from a keystroke to the screen splits
   * into VS Code's part and ours.
   */
  editedAt: number | null;
  postedAt: number;
}

export type HostToInspector =
  /** no *.mlp.json editor is active */
  | { type: 'empty' }
  | { type: 'view'; view: InspectorView }
  /** a recomputation started (true) or ended (false) for this file; postedAt: as a view's */
  | { type: 'busy'; file: string; busy: boolean; postedAt?: number }
  /** `skipped`: why run folders were passed over (unreadable, hostile, over the scan's budget), the first few */
  | { type: 'runs'; file: string; runs: InspectorRun[]; training: boolean; skipped: string[]; skippedCount: number };

export type InspectorToHost =
  | { type: 'ready' }
  | { type: 'newConfig' }
  | { type: 'openExample' }
  | { type: 'train'; file: string }
  | { type: 'openRun'; runDirs: string[] }
  /** show this position of the config in its editor */
  | { type: 'reveal'; file: string; line: number; column: number }
  /** a view message is on screen (for the update-latency measurement) */
  | { type: 'rendered'; file: string; version: number; state: 'fresh' | 'stale' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** The inspector webview's saved state. */
export interface InspectorState {
  last: HostToInspector[];
}


// ---------------------------------------------------------------------------------------------
// Compare panel (webview "compare": webview/compare/main.ts) <-> extension host
// (src/host/compare.ts). The host loads the runs (one run folder each) and sends one snapshot
// whenever the webview says it is ready; the HTML report (`mlp-lens report`) embeds the same.

/** What tells compared runs apart; `differs` lists the ones whose values are not all the same. */
export type CompareField = 'config' | 'variant' | 'seed' | 'sweep' | 'date';

export interface CompareRunInfo {
  /** the legend's name: the values of the fields that differ ("relu_he · 2026-11-20 09:12") */
  label: string;
  config: string;
  variant: string;
  seed: number | null;
  /** swept values as text, by field ("lr": "0.1") */
  sweep: Record<string, string>;
  /** "2026-11-20 09:12" (UTC) */
  date: string;
  startedAt: string;
  status: string;
  testAccuracy: number | null;
  steps: number;
}

/**
 * `run`: the runs as the variants of one PanelRun (variant i = compared run i, named by its
 * label), so the panel's curves and column store read them unchanged.
 */
export type HostToCompare = {
  type: 'compareSnapshot';
  id: string;
  run: PanelRun;
  columns: (PackedColumns | null)[];
  epochs: EpochRecord[][];
  settings: PanelSettings;
  runs: CompareRunInfo[];
  differs: CompareField[];
};

export type CompareToHost =
  | { type: 'ready' }
  /** open compared run `index` in the training panel */
  | { type: 'openRun'; index: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/** The compare webview's saved state. */
export interface CompareState {
  gradient: 'delta' | 'gradW';
  showTable: boolean;
}

// ---------------------------------------------------------------------------------------------
// Experiment panel (webview "experiment": webview/experiment/main.ts) <-> extension host
// (src/host/experiment/). One view of an experiment folder: every run of its grid as a row. The
// host sends the whole view when the webview is ready and again (throttled) while it changes.

/** A number the table sorts by and the heatmap shows. */
export type ExperimentMetric = 'testAccuracy' | 'testLoss' | 'trainAccuracy' | 'trainLoss' | 'deltaRatio' | 'saturation' | 'seconds';

/** One run of the grid. */
export interface ExperimentRow {
  /** its place in the grid (the index a message names it by) */
  index: number;
  name: string;
  variant: string;
  seed: number;
  /** swept values as text, by field ("layers": "64x64x64") */
  sweep: Record<string, string>;
  /** pending, running, completed, stopped, diverged, failed, interrupted (see experiment-view.ts), ... */
  status: string;
  trainLoss: number | null;
  trainAccuracy: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  diverged: boolean;
  /** ‖δ first hidden‖ / ‖δ last hidden‖ at initialization */
  deltaRatio: number | null;
  /** mean saturation of the hidden layers at initialization */
  saturation: number | null;
  seconds: number;
  /** per epoch: test accuracy (train accuracy without a test split) and train loss, at most EXPERIMENT_CURVE_POINTS */
  curve: { accuracy: number[]; loss: number[] };
}

/** An axis of the grid: "variant", a swept field, or "seed", with its values as text in order. */
export interface ExperimentAxis {
  name: string;
  values: string[];
}

export interface ExperimentView {
  /** the experiment's folder */
  folder: string;
  name: string;
  configFile: string | null;
  axes: ExperimentAxis[];
  rows: ExperimentRow[];
  /** true while this window trains it (Stop applies) */
  live: boolean;
  /** a line for the user: "stopping", why it ended, what could not be read */
  message: string | null;
}

export const EXPERIMENT_CURVE_POINTS = 200;

export type HostToExperiment = { type: 'experimentView'; view: ExperimentView };

export type ExperimentToHost =
  | { type: 'ready' }
  /** open run `index` (an ExperimentRow's index) in the training panel */
  | { type: 'openRun'; index: number }
  | { type: 'stop' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/**
 * The experiment webview's saved state, also what the WebviewPanelSerializer gets back after a
 * window reload: `folder` (the experiment folder of the last view) is all the host reads of it to
 * find the experiment, and it is accepted only as a folder the host lists itself
 * (src/host/experiment/restore.ts); the rest is the webview's own.
 */
export interface ExperimentUiState {
  folder?: string;
  sortKey: string;
  sortDescending: boolean;
  metric: ExperimentMetric;
  /** heatmap axes (names of ExperimentAxis) */
  x: string | null;
  y: string | null;
}
