/**
 * Loading the runs a Compare shows: each run folder through loader.ts into a one-variant
 * RunModel (its bounded history), and its seed from its config.json through read.ts.
 */
import { loadRunModel } from './loader';
import { readRunConfig, realRoot } from './read';
import { MAX_COMPARE_RUNS, type CompareInput } from './compare';

export interface CompareTarget {
  dir: string;
  /** the folder its files must stay inside (default: itself) */
  root?: string;
  /** an experiment run's sweep values (default: none) */
  sweep?: Record<string, unknown>;
  runName?: string;
}

/** The runs loaded, in order; throws with the folder named when one cannot be read. */
export async function loadCompareInputs(targets: readonly CompareTarget[], capacity: number, id: string): Promise<CompareInput[]> {
  if (targets.length > MAX_COMPARE_RUNS) throw new Error(`${targets.length} runs chosen; Compare shows at most ${MAX_COMPARE_RUNS}`);
  const out: CompareInput[] = [];
  for (const [i, t] of targets.entries()) {
    const root = t.root ?? await realRoot(t.dir);
    const model = await loadRunModel([t.dir], capacity, `${id}-${i}`, [root]);
    let seed: number | null = null;
    try {
      seed = (await readRunConfig(t.dir, root)).seed;
    } catch {
      // loadRunModel read it a moment ago; gone meanwhile: no seed shown
    }
    out.push({ model, seed, sweep: t.sweep ?? {}, runName: t.runName });
  }
  return out;
}
