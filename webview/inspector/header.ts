/**
 * The top of the view: the file, its state (inspecting / up to date / stale) and Train; then
 * the problems of the current text (click: reveal where), with the stale banner.
 */
import type { InspectorView } from '../../src/shared/protocol';
import { button, el } from './dom';
import { post, state } from './state';

export function header(v: InspectorView | null): HTMLElement {
  const { busy, training } = state;
  const h = el('header', 'head');
  const title = el('div', 'file');
  const name = el('span', 'file-name', v ? v.fileName : 'MLP Lens');
  name.title = v?.file ?? '';
  title.append(name);
  const status = el('span', 'status');
  status.id = 'status';
  if (v) {
    if (busy) status.textContent = 'inspecting…';
    else if (v.state === 'stale') status.textContent = 'stale';
    else if (v.latencyMs != null) status.textContent = `up to date · ${Math.round(v.latencyMs)} ms after the last edit`;
    else if (v.timings) status.textContent = `up to date · inspected in ${Math.round(v.timings.total)} ms`;
    status.classList.add(busy ? 'busy' : v.state);
    status.setAttribute('role', 'status');
  }
  title.append(status);
  h.append(title);
  if (v) {
    const actions = el('div', 'actions');
    const train = button(training ? 'Training…' : '▶ Train', () => post({ type: 'train', file: v.file }), '', 'Train MLP on this config');
    train.id = 'train';
    train.disabled = training;
    actions.append(train);
    h.append(actions);
  }
  return h;
}

export function problemsSection(v: InspectorView): HTMLElement | null {
  const errors = v.problems.filter((p) => p.severity === 'error');
  if (!v.problems.length) return null;
  const s = el('section', 'problems');
  s.id = 'problems';
  if (v.state === 'stale') {
    const banner = el('div', 'stale-banner');
    banner.id = 'stale-banner';
    banner.textContent = errors.length
      ? `The config has ${errors.length === 1 ? 'an error' : `${errors.length} errors`}: showing the last valid result.`
      : 'Showing the last valid result.';
    s.append(banner);
  }
  const ul = el('ul', 'problem-list');
  for (const p of v.problems.slice(0, 8)) {
    const li = el('li', `problem ${p.severity}`);
    const where = p.file ? `${p.file}:${p.line}` : `line ${p.line}`;
    const link = button(`${where}: ${p.path && !p.file ? `${p.path}: ` : ''}${p.message}`, () => post({ type: 'reveal', file: v.file, line: p.line, column: p.column }), 'link');
    li.append(el('span', `icon ${p.severity}`, p.severity === 'error' ? '✖' : '⚠'), link);
    ul.append(li);
  }
  if (v.problems.length > 8) ul.append(el('li', 'muted', `… and ${v.problems.length - 8} more (see the Problems panel)`));
  s.append(ul);
  return s;
}
