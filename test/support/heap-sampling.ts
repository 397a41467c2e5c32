/**
 * V8's sampling heap profiler, in this process (node:inspector), with the samples of objects that
 * have died since kept: what some code allocates, garbage included. Used by the allocation test
 * and by `npm run bench`.
 */
import { Session } from 'node:inspector';

interface ProfileNode { callFrame: { functionName: string }; selfSize: number; children: ProfileNode[] }

/**
 * Bytes sampled (a sample about every `interval` bytes) while `work` runs, in the frames under a
 * function named `root` (the code measured, not the profiler's own messages or the caller's clock).
 */
export async function sampledBytes(root: string, work: () => void, interval = 32): Promise<number> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
  try {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    work();
    const { profile } = await post<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling');
    let bytes = 0;
    const walk = (n: ProfileNode, inside: boolean) => {
      const here = inside || n.callFrame.functionName === root;
      if (here) bytes += n.selfSize;
      for (const c of n.children) walk(c, here);
    };
    walk(profile.head, false);
    return bytes;
  } finally {
    session.disconnect();
  }
}

/** The heap arrays `markedBytes` allocates inside the code measured (about 8 KB), kept alive here. */
let marker: number[] = [];

/**
 * sampledBytes of `work` with a marker allocated inside `root` first, so a measurement in which
 * the profiler saw nothing of `root` (it happens, rarely, on a loaded machine) is told apart from
 * code that allocates nothing: null then. Otherwise the bytes, the marker's share taken off by
 * its size (the sampling adds a little noise either way).
 */
export async function markedBytes(root: string, work: () => void): Promise<number | null> {
  const MARKER_ELEMENTS = 1024;
  let seen = false;
  const bytes = await sampledBytes(root, new Function('mark', 'work', `return function ${root}() { mark(); work(); }`)(() => {
    marker = new Array<number>(MARKER_ELEMENTS).fill(0);
  }, work) as () => void);
  // the marker was made (the code ran) and the profiler saw something of `root`
  seen = marker.length === MARKER_ELEMENTS && bytes > 0;
  marker = [];
  return seen ? Math.max(0, bytes - MARKER_ELEMENTS * 8) : null;
}
