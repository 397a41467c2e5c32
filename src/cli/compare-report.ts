/**
 * mlp-lens report RUN_OR_EXPERIMENT... --out compare.html: the Compare panel as one
 * self-contained HTML file (as `train --report` writes the training panel): the runs that the
 * folders hold (runs, experiments, folders of them: as `export` finds them), each loaded through
 * the run loader, overlaid and side by side; paths shown relative to the report's folder, or as
 * "…/<name>".
 */
import * as path from 'node:path';
import { compareReportHtml } from '../node/html-report';
import { writeFailure } from '../runs/faults';
import { compareSnapshot, MAX_COMPARE_RUNS } from '../runs/compare';
import { loadCompareInputs } from '../runs/compare-load';
import { DEFAULT_PANEL_SETTINGS } from '../runs/model';
import { checkOutFile } from '../runs/outdir';
import { UsageError, type Args } from './args';
import { say } from './print';
import { collectRuns } from './runs';
import * as fs from 'node:fs';

/** Time columns per run in the report (as the panel's default history). */
const COLUMNS = 1000;

export async function cmdReport(args: Args): Promise<number> {
  const out = args.flags.get('out') as string;
  const runs = await collectRuns(args.paths);
  if (runs.length > MAX_COMPARE_RUNS) throw new UsageError(`${runs.length} runs found; a comparison shows at most ${MAX_COMPARE_RUNS} (name fewer run folders)`);
  checkOutFile(out, '--out');
  const inputs = await loadCompareInputs(runs.map((r) => ({ dir: r.dir, sweep: r.sweep, runName: r.name })), COLUMNS, 'report');
  const snapshot = compareSnapshot('report', inputs, DEFAULT_PANEL_SETTINGS);
  const html = compareReportHtml(snapshot, path.dirname(path.resolve(out)));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, html);
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeFailure(out, e);
  }
  say(`wrote ${out}: ${runs.length} run${runs.length > 1 ? 's' : ''} compared (${snapshot.differs.length ? `they differ in ${snapshot.differs.join(', ')}` : 'alike'}), ${(html.length / 1024).toFixed(0)} KB`);
  return 0;
}
