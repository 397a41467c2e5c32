/**
 * The warnings list: one line each of what was measured; opened, why it matters and the fix,
 * and a link that reveals the config field. Opened warnings stay open across updates.
 */
import type { InspectWarning } from '../../src/engine/inspect/types';
import { button, el } from './dom';
import { post, state } from './state';

function reveal(path: string): void {
  const { view } = state;
  if (!view) return;
  const at = view.locations[path];
  if (at) post({ type: 'reveal', file: view.file, line: at[0], column: at[1] });
}

/** warnings the user opened stay open across updates (keyed by variant, code and path) */
const openWarnings = new Set<string>();
const warnKey = (w: InspectWarning) => `${w.variant}|${w.code}|${w.path}`;

export function warningsSection(all: InspectWarning[]): HTMLElement {
  const s = el('section', 'warnings');
  s.id = 'warnings';
  const h = el('h2', '', all.length ? `Warnings (${all.length})` : 'No warnings');
  s.append(h);
  if (!all.length) {
    s.append(el('p', 'muted ok', 'Nothing looks wrong at initialization.'));
    return s;
  }
  // compact: what was measured, one line each; why it matters and the fix one click away
  const ul = el('ul', 'warning-list');
  for (const w of all) {
    const li = el('li', 'warn-item');
    li.dataset.code = w.code;
    if (w.variant) li.dataset.variant = w.variant;
    const d = el('details');
    d.open = openWarnings.has(warnKey(w));
    d.addEventListener('toggle', () => (d.open ? openWarnings.add(warnKey(w)) : openWarnings.delete(warnKey(w))));
    const summary = el('summary');
    if (w.variant) summary.append(el('strong', '', `${w.variant}: `));
    summary.append(document.createTextNode(w.measured));
    const body = el('div', 'warn-body');
    body.append(el('span', 'why', `Why: ${w.why}. `), el('span', 'fix', `Fix: ${w.fix}.`));
    const go = button(`Show ${w.path}`, () => reveal(w.path), 'link goto', 'Show this field in the config');
    body.append(go);
    d.append(summary, body);
    li.append(el('span', 'icon warning', '⚠'), d);
    ul.append(li);
  }
  s.append(ul);
  return s;
}
