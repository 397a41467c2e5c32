/** The "Last run" section: this config's last run per variant (status, accuracy, epochs) and Open in panel. */
import { button, el } from './dom';
import { pct } from './format';
import { post, state } from './state';

export function runsSection(file: string): HTMLElement {
  const { runs, runsFile, training } = state;
  const s = el('section', 'runs');
  s.id = 'runs';
  s.append(el('h2', '', 'Last run'));
  if (runsFile === file && state.skippedCount) s.append(skippedNote());
  if (!runs.length || runsFile !== file) {
    s.append(el('p', 'muted', training ? 'Training…' : 'No run of this config yet. Train it to compare what happens with what the inspection predicts.'));
    return s;
  }
  const t = el('table', 'run-table');
  const hr = el('tr');
  for (const h of ['variant', 'status', 'test acc', 'epochs']) hr.append(el('th', '', h));
  t.append(hr);
  for (const r of runs) {
    const tr = el('tr');
    tr.dataset.variant = r.variant;
    tr.append(el('th', '', r.variant), el('td', `run-status ${r.status}`, r.status), el('td', '', pct(r.testAccuracy ?? r.trainAccuracy)), el('td', '', `${r.epochs}/${r.epochsPlanned}`));
    t.append(tr);
  }
  s.append(t);
  const when = runs.map((r) => r.finishedAt).filter((x): x is string => !!x).sort().at(-1);
  if (when) s.append(el('p', 'muted small', `finished ${when.replace('T', ' ').slice(0, 19)} UTC`));
  const open = button('Open in panel', () => post({ type: 'openRun', runDirs: runs.map((r) => r.runDir) }), 'secondary', 'Open this run in the training panel');
  open.id = 'open-run';
  s.append(open);
  return s;
}

/** Run folders that could not be read: how many, and the first reasons (the log has them all). */
function skippedNote(): HTMLElement {
  const n = state.skippedCount;
  const d = el('details', 'skipped-runs');
  d.id = 'skipped-runs';
  d.append(el('summary', 'muted small', `${n} run folder${n === 1 ? '' : 's'} could not be read and ${n === 1 ? 'was' : 'were'} skipped`));
  const ul = el('ul', 'small');
  for (const r of state.skipped) ul.append(el('li', '', r));
  if (n > state.skipped.length) ul.append(el('li', 'muted', `and ${n - state.skipped.length} more (MLP Lens output channel)`));
  d.append(ul);
  return d;
}
