/**
 * mlp-lens export RUN_OR_EXPERIMENT... --csv FILE: the records of runs and experiments as one
 * tidy CSV (the format: src/runs/csv-export.ts, shared with the Runs view's Export CSV).
 */
import { checkOutFile } from '../runs/outdir';
import { writeRunsCsv } from '../runs/csv-export';
import type { Args } from './args';
import { say } from './print';
import { collectRuns } from './runs';

export { csvField, LAYER_QUANTITIES, STEP_QUANTITIES } from '../runs/csv-export';

export async function cmdExport(args: Args): Promise<number> {
  const file = args.flags.get('csv') as string;
  const runs = await collectRuns(args.paths);
  checkOutFile(file, '--csv');
  const rows = await writeRunsCsv(runs, file, (dir, badLines) => {
    say(`${dir}: ${badLines.length} metrics line${badLines.length > 1 ? 's' : ''} unreadable, skipped (line ${badLines.slice(0, 5).join(', ')}${badLines.length > 5 ? ', ...' : ''})`);
  });
  say(`wrote ${file}: ${runs.length} run${runs.length > 1 ? 's' : ''}, ${rows.toLocaleString('en-US')} rows`);
  return 0;
}
