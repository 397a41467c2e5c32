/** mlp-lens convert: run folders' step records rewritten as metrics.jsonl or metrics.bin (src/runs/convert.ts). */
import type { Args } from './args';
import { complain, printable, say } from './print';
import { convertRun } from '../runs/convert';
import { RunReadError } from '../runs/read';
import { writeFailure } from '../runs/faults';

/** Exit 0 when every folder converted; 2 when one could not be read; 1 when one could not be written. */
export async function cmdConvert(args: Args): Promise<number> {
  const to = args.flags.has('jsonl') ? 'jsonl' : 'binary';
  let code = 0;
  for (const dir of args.paths) {
    try {
      const c = await convertRun(dir, to, args.flags.has('replace'));
      const wrote = c.wrote.length ? `wrote ${c.wrote.join(' and ')} (${c.steps} step records, ${c.epochs} epoch records)` : `already has ${to === 'jsonl' ? 'metrics.jsonl' : 'metrics.bin'}`;
      const removed = c.removed.length ? `; removed ${c.removed.join(' and ')}` : '';
      const bad = c.badCount ? `; skipped ${c.badCount} bad record${c.badCount > 1 ? 's' : ''} (${c.bad[0] ?? ''})` : '';
      say(printable(`${dir}: ${wrote}${removed}${bad}`));
    } catch (e) {
      if (e instanceof RunReadError) {
        complain(printable(`cannot convert ${dir}: ${e.message}`));
        code = Math.max(code, 2);
      } else {
        complain(printable(writeFailure(dir, e).message));
        code = 1;
      }
    }
  }
  return code;
}
