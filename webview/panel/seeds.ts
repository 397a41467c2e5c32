/**
 * The seed view: a run whose variants are the runs of a seeds experiment (PanelRun.groups, some
 * variant with two seeds or more) shows one card per variant, with the heatmaps of its median
 * seed (by final test accuracy) or of a chosen one, the curves as a mean with a band (charts.ts),
 * and a table of the final accuracies: mean ± std and every seed's value. The statistics are
 * src/shared/seed-stats.ts.
 */
import { hasSeeds, meanStd, medianIndex, type SeedGroup } from '../../src/shared/seed-stats';
import { el, tableHead } from '../shared/dom';
import type { ClientRun, ClientVariant } from './model';
import { saveState, state, ui } from './state';

/** The run's seed groups when it has the seed view, else null. */
export function seedGroups(r: ClientRun): SeedGroup[] | null {
  return hasSeeds(r.run.groups) ? r.run.groups : null;
}

/** The final test accuracy so far: the summary's, else the last epoch's (null: none yet). */
export function finalTest(v: ClientVariant): number | null {
  const s = v.meta.summary?.test?.accuracy;
  if (typeof s === 'number' && Number.isFinite(s)) return s;
  for (let k = v.epochs.length - 1; k >= 0; k--) {
    const a = v.epochs[k]!.test?.accuracy;
    if (typeof a === 'number') return a;
  }
  return null;
}

export function finalTrain(v: ClientVariant): number | null {
  const s = v.meta.summary?.train?.accuracy;
  if (typeof s === 'number' && Number.isFinite(s)) return s;
  const e = v.epochs[v.epochs.length - 1];
  return e ? e.train.accuracy : null;
}

/** The member (variant index) whose final test accuracy is the group's median (the first while none has one). */
export function medianMember(r: ClientRun, g: SeedGroup): number {
  const k = medianIndex(g.members.map((m) => finalTest(r.variants[m]!)));
  return g.members[k < 0 ? 0 : k]!;
}

/** The member whose heatmaps the group's card shows: the chosen seed, else the median one. */
export function shownMember(r: ClientRun, g: SeedGroup): number {
  const seed = ui.seedChoice?.[g.name];
  const k = seed === undefined ? -1 : g.seeds.indexOf(seed);
  return k >= 0 ? g.members[k]! : medianMember(r, g);
}

/** The variant indices that get a card: every variant, or one per seed group. */
export function shownVariants(r: ClientRun): number[] {
  const groups = seedGroups(r);
  return groups ? groups.map((g) => shownMember(r, g)) : r.variants.map((_, i) => i);
}

/** The group a variant belongs to (seed view only). */
export function groupOf(r: ClientRun, vi: number): { g: SeedGroup; index: number } | null {
  const groups = seedGroups(r);
  if (!groups) return null;
  const index = groups.findIndex((g) => g.members.includes(vi));
  return index >= 0 ? { g: groups[index]!, index } : null;
}

/** The seed chooser in a group's card: "median (seed 2)", "seed 0", "seed 1", ... */
export function seedSelect(r: ClientRun, g: SeedGroup, onChange: () => void): HTMLSelectElement {
  const sel = el('select', 'seed-select');
  sel.setAttribute('aria-label', `Heatmaps of which seed of ${g.name}`);
  sel.dataset.group = g.name;
  const median = medianMember(r, g);
  const o = el('option', undefined, `median (seed ${g.seeds[g.members.indexOf(median)]})`);
  o.value = '';
  sel.append(o);
  for (const s of g.seeds) {
    const opt = el('option', undefined, `seed ${s}`);
    opt.value = String(s);
    sel.append(opt);
  }
  const chosen = ui.seedChoice?.[g.name];
  sel.value = chosen !== undefined && g.seeds.includes(chosen) ? String(chosen) : '';
  sel.addEventListener('change', () => {
    const choice = { ...ui.seedChoice };
    if (sel.value === '') delete choice[g.name];
    else choice[g.name] = Number(sel.value);
    ui.seedChoice = choice;
    saveState();
    onChange();
  });
  return sel;
}

const fmt = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(3));
const pm = (xs: (number | null)[]) => {
  const m = meanStd(xs.filter((x): x is number => x !== null));
  return m.n ? `${fmt(m.mean)} ± ${fmt(m.std)}` : '–';
};

/** The final accuracies per variant: mean ± std over the seeds and every seed's value (test; train in the cell's title). */
let tableKey = '';

export function renderSeedTable(r: ClientRun, box: HTMLElement): void {
  const groups = seedGroups(r);
  box.hidden = !groups;
  if (!groups) return;
  // rebuilt only when a number in it changed (it stays put for keyboard and screen-reader users)
  const key = [r.run.id, state.theme.series.join(','), ...groups.map((g) => `${g.name}:${shownMember(r, g)}:${g.members.map((m) => {
    const v = r.variants[m]!;
    return `${finalTest(v)}/${finalTrain(v)}/${v.meta.status}`;
  }).join(',')}`)].join('|');
  if (key === tableKey && box.firstChild) return;
  tableKey = key;
  const seeds: number[] = [];
  for (const g of groups) for (const s of g.seeds) if (!seeds.includes(s)) seeds.push(s);
  const table = el('table');
  table.id = 'seed-table';
  table.append(el('caption', undefined, `Final accuracy over ${seeds.length} seeds (mean ± sample std; per seed: test accuracy, the seed whose heatmaps are shown in bold)`));
  table.append(tableHead(['variant', 'done', 'test acc', 'train acc', ...seeds.map((s) => `seed ${s}`)]));
  const tbody = el('tbody');
  groups.forEach((g) => {
    const tr = el('tr');
    tr.dataset.group = g.name;
    const th = el('th');
    th.scope = 'row';
    const swatch = el('span', 'swatch');
    swatch.style.backgroundColor = state.theme.series[groups.indexOf(g) % state.theme.series.length]!;
    th.append(swatch, document.createTextNode(` ${g.name}`));
    const vs = g.members.map((m) => r.variants[m]!);
    const tests = vs.map(finalTest);
    const done = vs.filter((v) => v.meta.status !== 'running' && v.meta.status !== 'waiting').length;
    const test = el('td', 'num', pm(tests));
    test.dataset.testMean = String(meanStd(tests.filter((x): x is number => x !== null)).mean);
    tr.append(th, el('td', 'num', `${done}/${vs.length}`), test, el('td', 'num', pm(vs.map(finalTrain))));
    const shown = shownMember(r, g);
    for (const s of seeds) {
      const k = g.seeds.indexOf(s);
      const v = k >= 0 ? vs[k]! : null;
      const td = el('td', 'num', v ? fmt(tests[k]!) : '');
      if (v) {
        td.title = `${v.meta.name}: test ${fmt(tests[k]!)}, train ${fmt(finalTrain(v))}, ${v.meta.status}`;
        td.dataset.seed = String(s);
        if (g.members[k] === shown) td.classList.add('shown');
      }
      tr.append(td);
    }
    tbody.append(tr);
  });
  table.append(tbody);
  box.replaceChildren(table);
}
