/**
 * Scheduling priority of the calling thread. On Linux a thread is a task of its own with its own
 * nice value (setpriority(2) with a thread id changes that thread only), so the training worker
 * can step back for the extension host's event loop and the window on a busy machine while still
 * taking every idle cycle. Elsewhere it does nothing and says so.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** The calling thread's kernel id on Linux (/proc/thread-self -> "<pid>/task/<tid>"), else null. */
export function threadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** Raise the calling thread's nice value to `nice` (lower priority); returns what it did, in words. */
export function lowerThreadPriority(nice: number): string {
  const tid = threadId();
  if (tid === null) return `priority unchanged (${process.platform}: no per-thread nice value)`;
  try {
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
    return `thread ${tid} at nice ${os.getPriority(tid)}`;
  } catch (e) {
    return `priority unchanged (${(e as Error).message})`;
  }
}
