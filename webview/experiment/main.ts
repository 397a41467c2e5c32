/**
 * The Experiment panel webview: every run of a sweep in one view. A header with progress (runs
 * ended of all, the ones running) and Stop while it trains; a heatmap of one metric over two axes
 * of the grid (heat.ts); the table of every run, sorted by any column (click or Enter on its
 * header; again: the other direction); a row (click, Enter) opens that run in the training panel.
 * Gets the whole view from the host whenever it changes (model.ts holds the pure parts).
 */
import '../shared/base.css';
import './experiment.css';
import type { ExperimentMetric, ExperimentToHost, ExperimentUiState, ExperimentView, HostToExperiment } from '../../src/shared/protocol';
import { el } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import { onHostMessage, vscodeApi } from '../shared/vscode-api';
import { HeatView } from './heat';
import { columns, defaultAxes, heatGrid, METRICS, progress, sortRows } from './model';

const api = vscodeApi<ExperimentUiState, ExperimentToHost>();
const saved = api.getState();
const ui: ExperimentUiState = saved ?? { sortKey: 'name', sortDescending: false, metric: 'testAccuracy', x: null, y: null };
let view: ExperimentView | null = null;
let theme = readTheme();

const app = document.getElementById('app')!;
app.dataset.view = 'experiment';
const header = el('header', 'bar');
const title = el('h1', 'title', 'MLP Lens: Experiment');
const progressText = el('span', 'progress');
progressText.id = 'progress';
progressText.setAttribute('role', 'status');
const stopButton = el('button', undefined, 'Stop');
stopButton.id = 'stop';
stopButton.addEventListener('click', () => {
  api.postMessage({ type: 'stop' });
  stopButton.disabled = true;
});
const message = el('span', 'muted message');
message.id = 'message';
header.append(title, progressText, stopButton, message);
const running = el('div', 'muted running');
running.id = 'running';

const controls = el('section', 'controls');
controls.setAttribute('aria-label', 'heatmap options');
const select = (id: string, label: string, onChange: (v: string) => void) => {
  const l = el('label', undefined, label);
  const s = el('select');
  s.id = id;
  s.addEventListener('change', () => onChange(s.value));
  l.append(s);
  controls.append(l);
  return s;
};
const metricSel = select('metric', 'Metric', (v) => { ui.metric = v as ExperimentMetric; changed(); });
const xSel = select('axis-x', 'x axis', (v) => { ui.x = v; changed(); });
const ySel = select('axis-y', 'y axis', (v) => { ui.y = v || null; changed(); });
for (const m of METRICS) metricSel.append(new Option(m.title, m.key));

const heat = new HeatView((row) => api.postMessage({ type: 'openRun', index: row.index }));
const tableBox = el('div', 'table-box');
const table = el('table', 'runs');
table.id = 'runs-table';
const caption = el('caption', 'visually-hidden', 'Every run of the experiment; the column headers sort, Enter on a row opens the run');
const thead = el('thead');
const tbody = el('tbody');
table.append(caption, thead, tbody);
tableBox.append(table);
const empty = el('div', 'muted empty', 'Waiting for the experiment…');
app.append(header, running, controls, heat.section, tableBox, empty);

function changed(): void {
  api.setState(ui);
  render();
}

function setOptions(sel: HTMLSelectElement, values: { value: string; text: string }[], current: string | null): void {
  const key = values.map((v) => v.value).join('\n');
  if (sel.dataset.key !== key) {
    sel.replaceChildren(...values.map((v) => new Option(v.text, v.value)));
    sel.dataset.key = key;
  }
  sel.value = current ?? '';
}

function render(): void {
  const v = view;
  empty.hidden = !!v;
  tableBox.hidden = controls.hidden = heat.section.hidden = !v;
  if (!v) return;
  title.textContent = `MLP Lens: ${v.name}`;
  document.title = `MLP Lens: ${v.name}`;
  const p = progress(v.rows);
  progressText.textContent = `${p.done}/${p.total} done${p.completed < p.done ? ` (${p.completed} completed)` : ''}${p.running.length ? ` · ${p.running.length} running` : ''}`;
  running.textContent = p.running.length ? `running: ${p.running.join(', ')}` : '';
  running.hidden = !p.running.length;
  stopButton.hidden = !v.live;
  if (!v.live) stopButton.disabled = false;
  message.textContent = v.message ?? '';

  // heatmap
  const names = v.axes.map((a) => a.name);
  if (!ui.x || !names.includes(ui.x)) Object.assign(ui, defaultAxes(v.axes));
  if (ui.y && !names.includes(ui.y)) ui.y = null;
  metricSel.value = ui.metric;
  setOptions(xSel, v.axes.map((a) => ({ value: a.name, text: a.name })), ui.x);
  setOptions(ySel, [{ value: '', text: '(none)' }, ...v.axes.map((a) => ({ value: a.name, text: a.name }))], ui.y);
  heat.metric = ui.metric;
  heat.set(ui.x ? heatGrid(v.rows, v.axes, ui.metric, ui.x, ui.y) : null, theme);

  // table
  // a live update rebuilds the table: the focus stays on the header or row it was on
  const active = document.activeElement as HTMLElement | null;
  const focusedKey = active?.closest('thead') ? active.dataset.key : undefined;
  const focused = active?.closest('tbody') ? active.dataset.index : undefined;
  const cols = columns(v.axes);
  const sortCol = cols.find((c) => c.key === ui.sortKey) ?? cols[0]!;
  const tr = el('tr');
  for (const c of cols) {
    const th = el('th');
    th.scope = 'col';
    const b = el('button', undefined, c.title);
    b.dataset.key = c.key;
    b.title = `sort by ${c.title}`;
    b.addEventListener('click', () => {
      if (ui.sortKey === c.key) ui.sortDescending = !ui.sortDescending;
      else {
        ui.sortKey = c.key;
        // numbers where more is better read best first
        ui.sortDescending = c.key === 'testAccuracy' || c.key === 'trainAccuracy';
      }
      changed();
    });
    th.setAttribute('aria-sort', c === sortCol ? (ui.sortDescending ? 'descending' : 'ascending') : 'none');
    if (c === sortCol) b.textContent = `${c.title} ${ui.sortDescending ? '▼' : '▲'}`;
    th.append(b);
    tr.append(th);
  }
  thead.replaceChildren(tr);
  if (focusedKey !== undefined) (thead.querySelector(`button[data-key="${CSS.escape(focusedKey)}"]`) as HTMLButtonElement | null)?.focus();
  tbody.replaceChildren(...sortRows(v.rows, sortCol, ui.sortDescending).map((r) => {
    const row = el('tr');
    row.tabIndex = 0;
    row.dataset.index = String(r.index);
    row.setAttribute('aria-label', `${r.name}, ${r.status}; Enter opens it`);
    for (const c of cols) {
      const td = el('td', c.numeric ? 'num' : undefined, c.text(r));
      if (c.key === 'status') td.classList.add(`status-${r.status}`);
      row.append(td);
    }
    const open = () => api.postMessage({ type: 'openRun', index: r.index });
    row.addEventListener('click', open);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') open();
      else if (e.key === 'ArrowDown') (row.nextElementSibling as HTMLElement | null)?.focus();
      else if (e.key === 'ArrowUp') (row.previousElementSibling as HTMLElement | null)?.focus();
      else return;
      e.preventDefault();
    });
    return row;
  }));
  if (focused !== undefined) (tbody.querySelector(`tr[data-index="${focused}"]`) as HTMLElement | null)?.focus();
}

onHostMessage<HostToExperiment>((m) => {
  if (!m || m.type !== 'experimentView' || !m.view || !Array.isArray(m.view.rows)) return;
  try {
    view = m.view;
    // the folder is what a restored panel finds its experiment by (after a window reload)
    if (typeof view.folder === 'string' && ui.folder !== view.folder) {
      ui.folder = view.folder;
      api.setState(ui);
    }
    render();
  } catch (e) {
    api.postMessage({ type: 'log', level: 'error', message: `experiment: ${(e as Error).message}` });
  }
});
onThemeChange((t) => {
  theme = t;
  render();
});
new ResizeObserver(() => heat.draw()).observe(heat.canvas);
heat.canvas.addEventListener('focus', () => heat.draw());
window.addEventListener('error', (e) => api.postMessage({ type: 'log', level: 'error', message: `experiment: ${e.message}` }));
render();
api.postMessage({ type: 'ready' });

/** For tests: the tooltip's text and the hovered cell. */
(window as unknown as { mlpExperiment: unknown }).mlpExperiment = { heat, ui };
