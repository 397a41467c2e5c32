/**
 * A second thread for a network's products. The engine cannot start threads itself (it runs in
 * Node workers, browser workers and tests alike, and imports nothing from node:*): the host
 * registers a factory that starts a thread running the kernel module's `helper(ctrl)` loop on
 * the network's shared memory (see kernel-setup.ts for Node's worker_threads).
 *
 * Protocol (control block in the shared memory, abi.ts CTRL): the main thread writes a
 * task's kind and arguments, bumps `seq` and wakes the helper; the helper runs the task and
 * publishes `done = seq`. The main thread runs its own half meanwhile, then waits for `done`.
 * Each half writes disjoint rows and its own sums, so results do not depend on which thread
 * ran which half, or on whether there is a second thread at all.
 */
import { CTRL, TASK } from './abi';
import type { OptimizerKernels } from './runtime';

export interface HelperThread {
  /** stop the thread (after its current task) */
  terminate(): void;
}
export type HelperFactory = (module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number) => HelperThread;

let factory: HelperFactory | null = null;

/** Register (or remove, with null) the host's way to start a helper thread. */
export function setHelperFactory(f: HelperFactory | null): void {
  factory = f;
}
export function helperFactory(): HelperFactory | null {
  return factory;
}

/** main thread spins this many polls before sleeping on the futex (the helper answers in µs) */
const MAIN_SPINS = 200000;

/** Posts tasks to the helper; its optimizer methods take the kernels' own arguments (OptimizerKernels). */
export class TaskPort implements OptimizerKernels {
  private seq = 0;
  private readonly base: number;
  private readonly a: number;
  private closed = false;

  constructor(private readonly i32: Int32Array, ctrl: number, private readonly helper: HelperThread) {
    this.base = ctrl >> 2;
    this.a = (ctrl + CTRL.args) >> 2;
    Atomics.store(i32, this.base + CTRL.seq / 4, 0);
    Atomics.store(i32, this.base + CTRL.done / 4, 0);
  }

  gemm(A: number, lda: number, B: number, ldb: number, C: number, ldc: number, M: number, N: number, K: number, epi: number, d: number): void {
    const i = this.i32, a = this.a;
    i[a] = A; i[a + 1] = lda; i[a + 2] = B; i[a + 3] = ldb; i[a + 4] = C; i[a + 5] = ldc;
    i[a + 6] = M; i[a + 7] = N; i[a + 8] = K; i[a + 9] = epi; i[a + 10] = d;
    this.post(TASK.gemm);
  }

  spmm(A: number, lda: number, B: number, ldb: number, C: number, ldc: number, M: number, N: number, K: number, epi: number, d: number, S: number): void {
    const i = this.i32, a = this.a;
    i[a] = A; i[a + 1] = lda; i[a + 2] = B; i[a + 3] = ldb; i[a + 4] = C; i[a + 5] = ldc;
    i[a + 6] = M; i[a + 7] = N; i[a + 8] = K; i[a + 9] = epi; i[a + 10] = d; i[a + 11] = S;
    this.post(TASK.spmm);
  }

  transpose(src: number, lds: number, dst: number, ldd: number, rows: number, cols: number): void {
    const i = this.i32, a = this.a;
    i[a] = src; i[a + 1] = lds; i[a + 2] = dst; i[a + 3] = ldd; i[a + 4] = rows; i[a + 5] = cols;
    this.post(TASK.transpose);
  }

  sgd(P: number, G: number, table: number, layers: number, measure: number, coef: number, state: number): void {
    this.optimizerArgs(P, G, table, layers, measure, coef, state);
    this.post(TASK.sgd);
  }

  momentum(P: number, G: number, table: number, layers: number, measure: number, coef: number, V: number, nesterov: number): void {
    this.optimizerArgs(P, G, table, layers, measure, coef, V);
    this.i32[this.a + 7] = nesterov;
    this.post(TASK.momentum);
  }

  adam(P: number, G: number, table: number, layers: number, measure: number, coef: number, V: number, Mo: number): void {
    this.optimizerArgs(P, G, table, layers, measure, coef, V);
    this.i32[this.a + 7] = Mo;
    this.post(TASK.adam);
  }

  /** The seven arguments every optimizer kernel starts with (all i32; the floats are in the block at coef). */
  private optimizerArgs(P: number, G: number, table: number, layers: number, measure: number, coef: number, state: number): void {
    const i = this.i32, a = this.a;
    i[a] = P; i[a + 1] = G; i[a + 2] = table; i[a + 3] = layers; i[a + 4] = measure; i[a + 5] = coef; i[a + 6] = state;
  }

  private post(kind: number): void {
    this.i32[this.base + CTRL.kind / 4] = kind;
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.i32, this.base + CTRL.seq / 4, this.seq);
    Atomics.notify(this.i32, this.base + CTRL.seq / 4, 1);
  }

  /** Wait until the helper finished the last task. */
  wait(): void {
    const i = this.i32, done = this.base + CTRL.done / 4;
    for (let s = 0; s < MAIN_SPINS; s++) if (Atomics.load(i, done) === this.seq) return;
    for (;;) {
      const v = Atomics.load(i, done);
      if (v === this.seq) return;
      if (v === -1) throw new Error('the helper thread failed');
      Atomics.wait(i, done, v, 1000);
    }
  }

  /** Tell the helper to leave its loop, then stop its thread. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.post(TASK.exit);
    this.helper.terminate();
  }
}
