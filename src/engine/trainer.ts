/**
 * The training loop: seeded minibatches, forward, backward, probes, optimizer step,
 * divergence detection and evaluation. One Trainer per variant; the caller drives it a few
 * steps at a time (runSteps) so a worker can stay responsive and stream records.
 */
import type { DrawCache } from './draws';
import type { KernelPath } from './kernel-path';
import { type FloatArray } from './kernels';
import { ErrorCounter, type TestErrors } from './errors';
import { Network } from './network';
import type { DType, LossInfo, NetworkOptions } from './network-types';
import { learningRate, learningRateInto, Optimizer } from './optimizers';
import { copyLayerProbes, measureIntoRecord, measureLayers, parameterPercentiles, percentileEvery, ProbeBuffers, snapshotProbes, snapshotProbesInto, type LayerProbe } from './probes';
import { Rng, type RngState } from './rng';
import { InputError, type Dataset, type ResolvedConfig } from './types';

/** 'failed': the run could not be recorded (a full disk, ...); set by the training session, never by the Trainer. */
export type RunStatus = 'running' | 'completed' | 'stopped' | 'diverged' | 'failed';

export interface StepRecord {
  kind: 'step';
  /** training steps done, counting this one (1-based) */
  step: number;
  /** 0-based epoch this step belongs to */
  epoch: number;
  /** mean minibatch loss and accuracy over the steps since the previous record */
  loss: number;
  accuracy: number;
  lr: number;
  layers: LayerProbe[];
}

export interface EvalResult {
  loss: number;
  accuracy: number;
}

export interface EpochRecord {
  kind: 'epoch';
  /** epochs done (1-based) */
  epoch: number;
  step: number;
  /** running mean over the epoch's minibatches */
  train: EvalResult;
  /** full pass over the test split; null when there is none */
  test: EvalResult | null;
  /** the test split's confusion matrix and first misclassified examples (errors.ts); absent without a test split or beyond 32 classes */
  errors?: TestErrors;
}

export interface Divergence {
  step: number;
  epoch: number;
  /** 0-based weight-layer index where a non-finite value first showed, or null for the loss itself */
  layer: number | null;
  /** human words: "loss", "hidden layer 2 activations", "gradient of hidden layer 1" ... */
  where: string;
  message: string;
}

/**
 * Everything a run needs to go on exactly where it stopped (Trainer.saveState): the weights, the
 * optimizer's state, the shuffle stream and the current epoch's order, the counters and running
 * sums, and which products run on spmm. Arrays are copies.
 */
export interface TrainerState {
  /** completed steps, the 0-based current epoch, and the rows of it done */
  step: number;
  epoch: number;
  posInEpoch: number;
  /** the running sums since the last record and over the epoch: loss·rows, correct, rows */
  since: [number, number, number];
  epochSums: [number, number, number];
  shuffle: RngState;
  order: Uint32Array;
  optimizerSteps: number;
  /** the optimizer's state arrays (Optimizer.stateArrays), as many as its type keeps */
  optimizer: FloatArray[];
  params: FloatArray;
  sparse: { sparse: boolean[]; retry: number[] } | null;
  /**
   * The weight and gradient percentile probes: probe steps until the next measurement, and the
   * last measurement per layer (records between measurements repeat it). Absent: measure at the
   * next probe step.
   */
  percentiles?: { in: number; weights: number[][]; grads: number[][] };
}

export interface RecordSink {
  step?(rec: StepRecord): void;
  epoch?(rec: EpochRecord): void;
  /**
   * The sink is done with each step record when step() returns (it copies what it keeps): the
   * trainer then fills one record in place at every probe step instead of making a new one (no
   * garbage per step: with probes every step on a small network, making the record objects cost
   * more than measuring). Its histogram counts and per-unit saturations are then the probes' own
   * arrays (ProbeArray: a list in JSON), which the next step overwrites too; copyStepRecord keeps one.
   */
  readonly transientSteps?: boolean;
}

/** A copy of a step record to keep, with plain arrays (a record a transient sink was lent changes with the next step). */
export function copyStepRecord(r: StepRecord): StepRecord {
  return { ...r, layers: copyLayerProbes(r.layers) };
}

/** "hidden layer 2" or "output layer" for a 0-based weight-layer index. */
export function layerName(net: Network, k: number): string {
  return k === net.layers.length - 1 ? 'output layer' : `hidden layer ${k + 1}`;
}

/** Network shape for a config on a dataset (validates what only the data can tell). */
export function networkSpecFor(cfg: ResolvedConfig, data: Dataset) {
  if (cfg.output === 'sigmoid' && data.classes !== 2) {
    throw new InputError(`output "sigmoid" is for 2-class data, but dataset "${data.name}" has ${data.classes} classes; use "softmax"`);
  }
  if (cfg.activation.length !== cfg.layers.length) {
    throw new InputError(`activation lists ${cfg.activation.length} entries for ${cfg.layers.length} hidden layers`);
  }
  return {
    sizes: [data.features, ...cfg.layers, cfg.output === 'sigmoid' ? 1 : data.classes],
    hidden: cfg.activation,
    output: cfg.output,
    leakyReluSlope: cfg.leakyReluSlope,
  };
}

export interface TrainerOptions extends NetworkOptions {
  /** random draws to reuse for the weight initialization (draws.ts) */
  draws?: DrawCache;
}

const rowViewCache = new WeakMap<Float32Array, { features: number; views: Float32Array[] }>();

/**
 * A view of every training row of a wide dataset, made once per training array and shared by
 * its trainers (MNIST: 56,000 views, milliseconds to make; the side view builds a trainer per
 * variant on every edit).
 */
function rowViewsOf(data: Dataset): Float32Array[] {
  const F = data.features, X = data.trainX, n = data.trainY.length;
  const hit = rowViewCache.get(X);
  if (hit && hit.features === F && hit.views.length === n) return hit.views;
  const views = Array.from({ length: n }, (_, i) => X.subarray(i * F, (i + 1) * F));
  rowViewCache.set(X, { features: F, views });
  return views;
}

export class Trainer {
  readonly net: Network;
  readonly probes: ProbeBuffers;
  /** the sink of the current runSteps takes records transiently; the record filled in place then */
  private transient = false;
  private kept: StepRecord | null = null;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  status: RunStatus = 'running';
  divergence: Divergence | null = null;
  /** completed steps */
  step = 0;
  /** current 0-based epoch */
  epoch = 0;
  lastEpoch: EpochRecord | null = null;

  private readonly opt: Optimizer;
  private readonly shuffleRng: Rng;
  private readonly order: Uint32Array;
  private readonly xb: FloatArray;
  private readonly yb: Int32Array;
  private readonly rowViews: Float32Array[] | null;
  private readonly tuner: ThreadTuner | null;
  private readonly info: LossInfo = { loss: 0, correct: 0 };
  /** the test split's confusion matrix at an epoch's end (null: no test split, or too many classes) */
  private readonly errors: ErrorCounter | null;
  private readonly pred: Int32Array;
  /** probe steps per measurement of the weights' and gradients' percentiles, and until the next (kept in TrainerState) */
  private readonly percentilesEvery: number;
  private percentilesIn = 0;
  private posInEpoch = 0;
  /**
   * Running sums since the last record (0 loss·M, 1 correct, 2 examples) and over the epoch
   * (3, 4, 5): Network.lossAndCorrect adds to them
   */
  private readonly sums = new Float64Array(6);
  /** the next step records probes whatever probes.every says (a stepped step: Trainer.probeNextStep) */
  private probeNext = false;

  /**
   * kernel: force a kernel path for this run's float32 network (default: the best available);
   * options: threads (1 keeps the run on this thread) and the row split (see NetworkOptions);
   * draws: kept random draws for the weights (the side view's; the weights are the same either way)
   */
  constructor(readonly cfg: ResolvedConfig, readonly data: Dataset, dtype: DType = 'float32', kernel?: KernelPath, options?: TrainerOptions) {
    const nTrain = data.trainY.length;
    if (nTrain === 0) throw new InputError(`dataset "${data.name}" has no training examples`);
    const B = Math.min(cfg.batchSize, nTrain);
    this.net = new Network(networkSpecFor(cfg, data), B, dtype, kernel, { optimizer: cfg.optimizer.type, ...options });
    const rng = new Rng(cfg.seed);
    this.net.initialize(cfg.init, rng.fork('init'), options?.draws);
    this.shuffleRng = rng.fork('shuffle');
    this.opt = new Optimizer(cfg.optimizer, this.net.params, this.net.grads);
    this.net.decay[0] = cfg.optimizer.weightDecay;
    this.probes = new ProbeBuffers(this.net, cfg.probes.histogramBins, cfg.probes.unitSaturation, true);
    this.tuner = this.net.threads === 2 ? new ThreadTuner() : null;
    this.stepsPerEpoch = Math.ceil(nTrain / B);
    this.totalSteps = this.stepsPerEpoch * cfg.epochs;
    this.order = identityOrder(nTrain);
    this.shuffleRng.shuffle(this.order);
    this.xb = this.net.inputBuffer; // in the network's own memory: forward() reads it in place
    // wide rows are copied natively from views made once (no allocation per step)
    const F = data.features;
    this.rowViews = F >= 32 && dtype === 'float32' ? rowViewsOf(data) : null;
    this.yb = new Int32Array(B);
    const classes = cfg.output === 'sigmoid' ? 2 : data.classes;
    this.errors = data.testY.length > 0 && ErrorCounter.recorded(classes) ? new ErrorCounter(classes) : null;
    this.pred = new Int32Array(this.errors ? B : 0);
    this.percentilesEvery = percentileEvery(this.net.layers, cfg.batchSize);
  }

  get batchSize(): number {
    return this.net.maxBatch;
  }

  get done(): boolean {
    return this.status !== 'running';
  }

  get lr(): number {
    return learningRate(this.cfg.lr, this.cfg.schedule, this.step, this.stepsPerEpoch, this.totalSteps);
  }

  /** Copy the next minibatch into xb/yb; returns its size. */
  loadBatch(): number {
    const { data, order, xb, yb } = this;
    const F = data.features;
    const M = Math.min(this.net.maxBatch, order.length - this.posInEpoch);
    const X = data.trainX, rows = this.rowViews;
    for (let m = 0; m < M; m++) {
      const idx = order[this.posInEpoch + m]!;
      yb[m] = data.trainY[idx]!;
      const src = idx * F, dst = m * F;
      if (rows) xb.set(rows[idx]!, dst); // a native copy
      else for (let j = 0; j < F; j++) xb[dst + j] = X[src + j]!;
    }
    return M;
  }

  /** The current minibatch buffers (valid after loadBatch). */
  get batch(): { X: FloatArray; y: Int32Array } {
    return { X: this.xb, y: this.yb };
  }

  /** The next step records its probes (a step taken by hand, seen in every view). */
  probeNextStep(): void {
    this.probeNext = true;
  }

  private isProbeStep(step: number): boolean {
    return step === 1 || this.probeNext || step % this.cfg.probes.every === 0 || step === this.totalSteps;
  }

  /** One training step. Returns a StepRecord on steps that record probes, else null. */
  trainStep(): StepRecord | null {
    if (this.done) return null;
    if (this.tuner) return this.tuner.step(this);
    return this.trainStepOnce();
  }

  /** One training step (the work of trainStep). */
  trainStepOnce(): StepRecord | null {
    const net = this.net;
    const M = this.loadBatch();
    const stepNo = this.step + 1;
    const probe = this.isProbeStep(stepNo);
    this.probeNext = false;
    // The rate through memory: a float passed to or returned by a call the compiler does not inline
    // is boxed (an allocation a step). Until the compiler has optimized this code (on one busy
    // core that takes a W2-sized network thousands of steps) every float it reads or computes is
    // boxed too: so the rate is computed only when it can change (a step schedule's at an epoch's
    // start, a cosine's every step), and read only on probe steps.
    const rate = this.opt.rate;
    if (this.cfg.schedule.type === 'cosine' || this.posInEpoch === 0) learningRateInto(rate, this.cfg, this.step, this.stepsPerEpoch, this.totalSteps);
    net.forward(this.xb, M, probe ? this.probes : null);
    // the running sums are added to there (a step diverged in its backward pass ends the run: its loss there does not matter)
    if (!net.lossAndCorrect(this.yb, M, this.info, this.sums)) return this.diverge(stepNo, 'forward');
    net.backwardAtDecay(this.yb, M, probe ? this.probes : null); // decay set at construction
    if (!net.gradientsFinite()) return this.diverge(stepNo, 'backward');
    this.opt.stepAtRate(net.layers, probe ? this.probes.norms : null);
    // a record filled in place takes the measurements straight from the kernels' outputs
    const kept = probe && this.transient ? this.kept : null;
    const measured = kept !== null && measureIntoRecord(net, this.probes, kept.layers);
    if (probe && !measured) measureLayers(net, M, this.probes, true);
    if (probe && --this.percentilesIn <= 0) {
      parameterPercentiles(net, this.probes);
      this.percentilesIn = this.percentilesEvery;
    }

    this.step = stepNo;
    this.posInEpoch += M;

    let rec: StepRecord | null = null;
    if (probe) {
      const sums = this.sums;
      const loss = sums[0]! / sums[2]!, accuracy = sums[1]! / sums[2]!;
      if (kept) {
        kept.step = stepNo;
        kept.epoch = this.epoch;
        kept.loss = loss;
        kept.accuracy = accuracy;
        kept.lr = rate[0]!;
        if (!measured) snapshotProbesInto(this.probes, kept.layers);
        rec = kept;
      } else {
        // a record to fill in place holds the probes' own arrays (see ProbeArray)
        rec = { kind: 'step', step: stepNo, epoch: this.epoch, loss, accuracy, lr: rate[0]!, layers: snapshotProbes(net, this.probes, this.transient) };
        if (this.transient) this.kept = rec;
      }
      sums.fill(0, 0, 3);
    }
    return rec;
  }

  /** True when the last trainStep finished an epoch (call endEpoch next). */
  get atEpochEnd(): boolean {
    return this.posInEpoch >= this.order.length;
  }

  /** Close the epoch: evaluate the test split, reshuffle, maybe complete the run. */
  endEpoch(): EpochRecord {
    const rec: EpochRecord = {
      kind: 'epoch', epoch: this.epoch + 1, step: this.step,
      train: { loss: this.sums[3]! / this.sums[5]!, accuracy: this.sums[4]! / this.sums[5]! },
      test: this.data.testY.length > 0 ? this.evaluate(this.data.testX, this.data.testY, this.errors) : null,
    };
    if (this.errors) rec.errors = this.errors.result();
    this.epoch++;
    this.posInEpoch = 0;
    this.sums.fill(0, 3, 6);
    this.shuffleRng.shuffle(this.order);
    if (this.epoch >= this.cfg.epochs) this.status = 'completed';
    this.lastEpoch = rec;
    return rec;
  }

  /**
   * Run up to maxSteps steps, sending records to the sink. Returns the steps done. `interrupted`,
   * when given, is asked before every step: a Stop takes effect within one step, not one slice.
   */
  runSteps(maxSteps: number, sink: RecordSink, interrupted?: () => boolean): number {
    this.transient = sink.transientSteps === true;
    let n = 0;
    try {
      while (n < maxSteps && !this.done) {
        if (interrupted?.()) break;
        const rec = this.trainStep();
        if (this.status === 'diverged') break;
        n++;
        if (rec) sink.step?.(rec);
        if (this.atEpochEnd) {
          const epochRec = this.endEpoch(); // not inside the optional call: it must run without a sink too
          sink.epoch?.(epochRec);
        }
      }
    } finally {
      this.transient = false; // trainStep() called on its own returns fresh records
    }
    return n;
  }

  /** A copy of everything the run needs to go on from here (see TrainerState). */
  saveState(): TrainerState {
    return {
      step: this.step, epoch: this.epoch, posInEpoch: this.posInEpoch,
      since: [this.sums[0]!, this.sums[1]!, this.sums[2]!],
      epochSums: [this.sums[3]!, this.sums[4]!, this.sums[5]!],
      shuffle: this.shuffleRng.getState(), order: this.order.slice(),
      optimizerSteps: this.opt.steps, optimizer: this.opt.stateArrays.map((a) => a.slice()),
      params: this.net.params.slice(), sparse: this.net.sparseState,
      percentiles: { in: this.percentilesIn, weights: this.probes.wPct.map((a) => Array.from(a)), grads: this.probes.gPct.map((a) => Array.from(a)) },
    };
  }

  /**
   * Go on from a saved state: the following steps are bit for bit those the saved run would have
   * taken, with this trainer's config (which may train more epochs, or at another learning rate).
   */
  restoreState(s: TrainerState): void {
    const n = this.order.length;
    if (s.order.length !== n) throw new InputError(`the saved state shuffles ${s.order.length} training examples; the dataset has ${n}`);
    if (s.params.length !== this.net.params.length) throw new InputError(`the saved state has ${s.params.length} parameters; the network has ${this.net.params.length}`);
    if (s.posInEpoch < 0 || s.posInEpoch >= n || s.step < 0 || s.epoch < 0) throw new InputError(`the saved state's position (step ${s.step}, epoch ${s.epoch}, row ${s.posInEpoch}) is not one a run stops at`);
    if (s.epoch >= this.cfg.epochs) throw new InputError(`the run has trained ${s.epoch} epochs; train more than that to continue it (epochs ${this.cfg.epochs})`);
    this.net.params.set(s.params);
    this.opt.restore(s.optimizerSteps, s.optimizer);
    this.order.set(s.order);
    this.shuffleRng.setState(s.shuffle);
    this.net.sparseState = s.sparse;
    this.step = s.step;
    this.epoch = s.epoch;
    this.posInEpoch = s.posInEpoch;
    this.sums.set(s.since, 0);
    this.sums.set(s.epochSums, 3);
    const pct = s.percentiles;
    const fits = (a: number[][], to: ArrayLike<number>[]) => a.length === to.length && a.every((x, k) => x.length === to[k]!.length);
    if (pct && fits(pct.weights, this.probes.wPct) && fits(pct.grads, this.probes.gPct)) {
      this.percentilesIn = pct.in;
      pct.weights.forEach((x, k) => this.probes.wPct[k]!.set(x));
      pct.grads.forEach((x, k) => this.probes.gPct[k]!.set(x));
    } else this.percentilesIn = 0;
    this.status = 'running';
    this.divergence = null;
    // the rate a step-or-constant schedule sets at an epoch's start (trainStepOnce)
    learningRateInto(this.opt.rate, this.cfg, this.step, this.stepsPerEpoch, this.totalSteps);
  }

  /** Release the network's helper thread, if any (call when done with the trainer). */
  dispose(): void {
    this.net.dispose();
  }

  /** Mark the run stopped by the user (the weights stay as they are). */
  stop(): void {
    if (this.status === 'running') this.status = 'stopped';
  }

  /**
   * Mean loss and accuracy over a whole split, in batches, with the current weights; with
   * `errors`, also its confusion matrix (reset first; the counter of this trainer's classes).
   */
  evaluate(X: Float32Array, Y: Int32Array, errors: ErrorCounter | null = null): EvalResult {
    const net = this.net, F = this.data.features, B = net.maxBatch, n = Y.length;
    let loss = 0, correct = 0;
    const pred = errors && this.pred.length >= B ? this.pred : errors ? new Int32Array(B) : null;
    errors?.reset();
    for (let start = 0; start < n; start += B) {
      const M = Math.min(B, n - start);
      // the copies' long loops in functions of their own: a loop here would be compiled in its
      // middle on the first call, with the code after it not yet run (see Rng.shuffle)
      copyFloats(this.xb, X, start * F, M * F);
      copyInts(this.yb, Y, start, M);
      net.forward(this.xb, M);
      net.lossAndCorrect(this.yb, M, this.info);
      loss += this.info.loss * M;
      correct += this.info.correct;
      if (errors && pred) {
        net.predictRows(M, pred);
        errors.add(this.yb, pred, M, start);
      }
    }
    return { loss: n ? loss / n : NaN, accuracy: n ? correct / n : NaN };
  }

  private diverge(stepNo: number, phase: 'forward' | 'backward'): null {
    const net = this.net;
    let layer: number | null = null;
    let where = 'loss';
    if (phase === 'forward') {
      for (let k = 0; k < net.layers.length; k++) {
        if (!Number.isFinite(net.actSum[k]!)) { layer = k; where = `${layerName(net, k)} activations`; break; }
      }
    } else {
      // The gradient flows from the output down: the first non-finite δ from the top is where it started.
      for (let k = net.layers.length - 1; k >= 0; k--) {
        if (!Number.isFinite(net.deltaSq[k]!)) { layer = k; where = `gradient of ${layerName(net, k)}`; break; }
      }
    }
    this.status = 'diverged';
    const lossText = Number.isFinite(this.info.loss) ? this.info.loss.toPrecision(4) : String(this.info.loss);
    this.divergence = {
      step: stepNo, epoch: this.epoch, layer, where,
      message: `diverged at step ${stepNo} (epoch ${this.epoch + 1}): non-finite ${where} (loss ${lossText}); try a smaller learning rate (lr ${this.cfg.lr})`,
    };
    return null;
  }
}

/**
 * Uses the network's helper thread only while it pays: it times 12 steps with and without it
 * every 400 steps or 3 seconds and keeps the faster (a busy machine can make two threads slower
 * than one). The products are cut the same way either way, so this changes the speed, never the
 * results.
 */
class ThreadTuner {
  /** steps left in the current phase, and the phase: measure with (2), without (1), or run */
  private left = 0;
  private phase: 'two' | 'one' | 'run' = 'run';
  private time = 0;
  private steps = 0;
  private perStepTwo = 0;
  private static readonly MEASURE = 12;
  private static readonly RUN = 400;
  /** a run phase also ends after this long, so big steps re-measure every few seconds */
  private static readonly RUN_MS = 3000;
  private runUntil = 0;

  step(t: Trainer): StepRecord | null {
    if (this.left <= 0 || (this.phase === 'run' && performance.now() > this.runUntil)) this.next(t);
    this.left--;
    if (this.phase === 'run') return t.trainStepOnce();
    const t0 = performance.now();
    const rec = t.trainStepOnce();
    this.time += performance.now() - t0;
    this.steps++;
    return rec;
  }

  private next(t: Trainer): void {
    const net = t.net;
    if (this.phase === 'run') {
      this.phase = 'two';
      net.useHelper = true;
      this.left = ThreadTuner.MEASURE;
    } else if (this.phase === 'two') {
      this.perStepTwo = this.time / Math.max(this.steps, 1);
      this.phase = 'one';
      net.useHelper = false;
      this.left = ThreadTuner.MEASURE;
    } else {
      const perStepOne = this.time / Math.max(this.steps, 1);
      net.useHelper = this.perStepTwo < perStepOne;
      this.phase = 'run';
      this.left = ThreadTuner.RUN;
      this.runUntil = performance.now() + ThreadTuner.RUN_MS;
    }
    this.time = this.steps = 0;
  }
}

/** 0, 1, ..., n - 1 (the constructor's loop in a function of its own: see evaluate). */
function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** dst[0, count) = src[from, from + count): a loop with nothing after it (no view to allocate). */
function copyFloats(dst: FloatArray, src: Float32Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) dst[i] = src[from + i]!;
}

/** The same for labels. */
function copyInts(dst: Int32Array, src: Int32Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) dst[i] = src[from + i]!;
}
