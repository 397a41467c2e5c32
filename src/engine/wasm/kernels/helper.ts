/**
 * The helper thread's task loop (shared modules only; parallel.ts posts the tasks).
 */
import { block, br, br_if, call, drop, Fn, i32, i64, if_, loop, memory, seq, T, type Local } from '../encoder';
import { CTRL, TASK } from '../abi';
import type { KernelContext } from './common';

/** helper spins this many polls (about 50-100 µs) before it sleeps on the futex */
const HELPER_SPINS = 20000;

/**
 * helper(ctrl): wait for a task (spin, then sleep on the futex), run it, publish `done`, repeat
 * until the exit task. The arguments are read from the control block, all i32 (the optimizers'
 * float arguments are in their coefficient block); `optInts` is emitOptimizers' count of each
 * optimizer's i32 arguments after the seven they share.
 */
export function emitHelper(ctx: KernelContext, optInts: Map<string, number>): void {
  const { add } = ctx;
  const f = add(new Fn('helper', [T.i32]));
  const [ctrl] = f.params as [Local];
  const seen = f.local(T.i32), spins = f.local(T.i32), kind = f.local(T.i32), cur = f.local(T.i32);
  const ai = (i: number) => i32.load(ctrl.get, CTRL.args + 4 * i);
  const ints = (n: number) => Array.from({ length: n }, (_, i) => ai(i));
  const optArgs = (name: string) => ints(7 + optInts.get(name)!);
  f.body = seq(
    // start from the last finished task: a task posted before this thread came up is still pending
    seen.set(i32.atomic_load(ctrl.get, CTRL.done)),
    block(loop(
      // wait for seq != seen
      spins.set(i32.const(HELPER_SPINS)),
      block(loop(
        cur.set(i32.atomic_load(ctrl.get, CTRL.seq)),
        br_if(1, i32.ne(cur.get, seen.get)),
        spins.set(i32.sub(spins.get, i32.const(1))),
        if_(i32.le_s(spins.get, i32.const(0)), [
          drop(memory.wait32(i32.add(ctrl.get, i32.const(CTRL.seq)), seen.get, i64.const(-1))),
          spins.set(i32.const(HELPER_SPINS)),
        ]),
        br(0),
      )),
      seen.set(cur.get),
      kind.set(i32.load(ctrl.get, CTRL.kind)),
      br_if(1, i32.eq(kind.get, i32.const(TASK.exit))),
      if_(i32.eq(kind.get, i32.const(TASK.gemm)), [call(ctx.id('gemm'), ...ints(11))]),
      if_(i32.eq(kind.get, i32.const(TASK.transpose)), [call(ctx.id('transpose'), ...ints(6))]),
      if_(i32.eq(kind.get, i32.const(TASK.spmm)), [call(ctx.id('spmm'), ...ints(12))]),
      if_(i32.eq(kind.get, i32.const(TASK.sgd)), [call(ctx.id('sgd'), ...optArgs('sgd'))]),
      if_(i32.eq(kind.get, i32.const(TASK.momentum)), [call(ctx.id('momentum'), ...optArgs('momentum'))]),
      if_(i32.eq(kind.get, i32.const(TASK.adam)), [call(ctx.id('adam'), ...optArgs('adam'))]),
      i32.atomic_store(ctrl.get, seen.get, CTRL.done),
      drop(memory.notify(i32.add(ctrl.get, i32.const(CTRL.done)), i32.const(1))),
      br(0),
    )),
    i32.atomic_store(ctrl.get, seen.get, CTRL.done),
    drop(memory.notify(i32.add(ctrl.get, i32.const(CTRL.done)), i32.const(1))),
  );
}
