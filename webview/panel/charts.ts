/**
 * Loss and accuracy curves (Chart.js), one colour per variant from the charts.* theme tokens:
 * solid = training minibatches (per history column), dashed with points = test set at each
 * epoch's end. In the seed view (seeds.ts) one colour per variant too: the mean over its seeds,
 * solid, inside a band (min–max or quartiles, ui.band), and the test set's mean, dashed. No animation (live data; and it honours reduced motion for free). Chart.js
 * draws on its canvas and sets sizes through the CSSOM, which the strict CSP allows.
 */
import { Chart, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import { hasSeeds, seedBand, type BandMode, type SeedGroup } from '../../src/shared/seed-stats';
import { parseColor, type Theme } from '../shared/theme';
import { runStepSpan, type ClientRun } from './model';

/** The seed view's groups (seeds.ts), without the panel's state: Compare draws with Curves too. */
const seedGroups = (r: ClientRun): SeedGroup[] | null => (hasSeeds(r.run.groups) ? r.run.groups : null);

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip, Filler);

/** Datasets per seed group: band low, band high (filled down to low), mean, test mean. */
const PER_GROUP = 4;
const BAND_LOW = ' (band low)';
const BAND_HIGH = ' (band high)';

function translucent(color: string, alpha: number): string {
  const [r, g, b] = parseColor(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function groupDatasets(groups: SeedGroup[], theme: Theme): ChartDataset<'line', XY[]>[] {
  const out: ChartDataset<'line', XY[]>[] = [];
  const width = theme.highContrast ? 2 : 1.5;
  groups.forEach((g, i) => {
    const color = theme.series[i % theme.series.length]!;
    const band = translucent(color, theme.kind === 'light' ? 0.2 : 0.28);
    out.push({ label: `${g.name}${BAND_LOW}`, data: [], borderColor: band, backgroundColor: band, borderWidth: 0, pointRadius: 0, tension: 0, fill: false });
    out.push({ label: `${g.name}${BAND_HIGH}`, data: [], borderColor: band, backgroundColor: band, borderWidth: 0, pointRadius: 0, tension: 0, fill: '-1' });
    out.push({ label: `${g.name} (mean of ${g.members.length} seeds)`, data: [], borderColor: color, backgroundColor: color, borderWidth: width, pointRadius: 0, tension: 0, fill: false });
    out.push({ label: `${g.name} (test)`, data: [], borderColor: color, backgroundColor: color, borderWidth: width, borderDash: [5, 4], pointRadius: 3, pointStyle: 'rectRot', fill: false });
  });
  return out;
}

/** One group's curves of one kind: the band and mean of the training columns, the mean of the test points. */
function groupCurves(run: ClientRun, g: SeedGroup, kind: 'loss' | 'accuracy', mode: BandMode): { low: XY[]; high: XY[]; mean: XY[]; test: XY[] } {
  const vs = g.members.map((m) => run.variants[m]!);
  const band = seedBand(vs.map((v) => ({ x: v.store.s.step, y: kind === 'loss' ? v.store.s.loss : v.store.s.accuracy, n: v.store.count })), mode);
  const tests = vs.map((v) => {
    const x: number[] = [], y: number[] = [];
    for (const e of v.epochs) {
      const val = e.test ? (kind === 'loss' ? e.test.loss : e.test.accuracy) : NaN;
      if (Number.isFinite(val)) { x.push(e.step); y.push(val); }
    }
    return { x, y };
  });
  const t = seedBand(tests, 'minmax');
  const pts = (ys: number[]) => band.x.map((x, i) => ({ x, y: ys[i]! }));
  return { low: pts(band.lo), high: pts(band.hi), mean: pts(band.mean), test: t.x.map((x, i) => ({ x, y: t.mean[i]! })) };
}

type XY = { x: number; y: number };
/** a chart with the step under the cursor (the cursor line: set, then drawn without an update) */
type CursorChart = Chart<'line', XY[]> & { $mlpStep?: number | null };

/** Point i of a chart's data, its object reused. */
function setPoint(data: XY[], i: number, x: number, y: number): void {
  const p = data[i];
  if (p) {
    p.x = x;
    p.y = y;
  } else data[i] = { x, y };
}

const cursorLine: Plugin<'line'> = {
  id: 'mlpCursor',
  afterDatasetsDraw(chart) {
    const step = (chart.options.plugins as { mlpCursor?: { step: number | null; color: string } }).mlpCursor;
    const at = (chart as CursorChart).$mlpStep ?? null;
    if (!step || at === null) return;
    const x = chart.scales.x!.getPixelForValue(at);
    if (x < chart.chartArea.left || x > chart.chartArea.right) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = step.color;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, chart.chartArea.top);
    ctx.lineTo(x, chart.chartArea.bottom);
    ctx.stroke();
    ctx.restore();
  },
};

export class Curves {
  private charts: Chart<'line', XY[]>[] = [];

  /** `band`: the seed view's band (the panel's choice) */
  constructor(private readonly canvases: [HTMLCanvasElement, HTMLCanvasElement], private readonly band: () => BandMode = () => 'minmax') {}

  private build(run: ClientRun, theme: Theme): void {
    this.destroy();
    const kinds: ('loss' | 'accuracy')[] = ['loss', 'accuracy'];
    this.charts = kinds.map((kind, k) => {
      const groups = seedGroups(run);
      const datasets: ChartDataset<'line', XY[]>[] = groups ? groupDatasets(groups, theme) : [];
      if (!groups) run.variants.forEach((v, i) => {
        const color = theme.series[i % theme.series.length]!;
        datasets.push({ label: v.meta.name, data: [], borderColor: color, backgroundColor: color, borderWidth: theme.highContrast ? 2 : 1.5, pointRadius: 0, tension: 0 });
        datasets.push({ label: `${v.meta.name} (test)`, data: [], borderColor: color, backgroundColor: color, borderWidth: theme.highContrast ? 2 : 1.5, borderDash: [5, 4], pointRadius: 3, pointStyle: 'rectRot' });
      });
      return new Chart<'line', XY[]>(this.canvases[k]!, {
        type: 'line',
        data: { datasets },
        plugins: [cursorLine],
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          parsing: false,
          normalized: true,
          interaction: { mode: 'nearest', intersect: false, axis: 'x' },
          scales: {
            x: { type: 'linear', min: 0, title: { display: true, text: 'step', color: theme.chartsForeground }, ticks: { color: theme.chartsForeground, maxTicksLimit: 6 }, grid: { color: theme.chartsLines } },
            y: {
              type: 'linear', min: 0, ...(kind === 'accuracy' ? { max: 1 } : {}),
              title: { display: true, text: kind === 'loss' ? 'loss' : 'accuracy', color: theme.chartsForeground },
              ticks: { color: theme.chartsForeground, maxTicksLimit: 5 }, grid: { color: theme.chartsLines },
            },
          },
          plugins: {
            legend: {
              display: k === 0,
              position: 'top',
              align: 'start',
              labels: { color: theme.chartsForeground, boxWidth: 14, boxHeight: 2, filter: (item: { text: string }) => !/\((test|band low|band high)\)$/.test(String(item.text)) },
            },
            tooltip: { enabled: true, callbacks: { label: (c: { dataset: { label?: string }; parsed: { x: number; y: number | null } }) => `${c.dataset.label}: ${(c.parsed.y ?? NaN).toPrecision(4)} at step ${c.parsed.x}` } },
            mlpCursor: { step: null, color: theme.foreground },
          } as never,
          font: { family: theme.fontFamily, size: Math.max(11, theme.fontSize - 1) },
          color: theme.chartsForeground,
        },
      });
    });
    this.key = this.shapeKey(run, theme);
  }

  private key = '';
  /** per chart: the data it was last updated with (dataKey) */
  private drawnData: string[] = [];
  /** What the curves are drawn from: the columns and epochs held, the axis, the band. */
  private dataKey(run: ClientRun): string {
    return `${runStepSpan(run)}|${this.band()}|${run.run.live}|${run.variants.map((v) => {
      const s = v.store.s, c = v.store.count - 1;
      return `${v.store.count},${v.store.stride},${s.step[c]},${s.loss[c]},${s.accuracy[c]},${v.epochs.length}`;
    }).join(';')}`;
  }

  private shapeKey(run: ClientRun, theme: Theme): string {
    return `${run.run.id}|${run.variants.map((v) => v.meta.name).join(',')}|${seedGroups(run) ? 'seeds' : ''}|${theme.kind}|${theme.series.join(',')}|${theme.chartsForeground}|${theme.chartsLines}|${theme.fontFamily}`;
  }

  /** The canvas of the loss (0) or accuracy (1) chart. */
  canvas(k: number): HTMLCanvasElement {
    return this.canvases[k]!;
  }

  /** Redraw the curves (`only`: the loss (0) or the accuracy (1) chart alone, each costs a few ms). */
  update(run: ClientRun, theme: Theme, cursorStep: number | null, only?: number): void {
    if (this.shapeKey(run, theme) !== this.key || !this.charts.length) this.build(run, theme);
    const maxStep = runStepSpan(run);
    const data = this.dataKey(run);
    this.charts.forEach((chart, k) => {
      if (only !== undefined && k !== only) return;
      (chart as CursorChart).$mlpStep = cursorStep;
      // only the cursor moved: the chart as laid out, drawn again with the cursor's line
      if (this.drawnData[k] === data) {
        chart.draw();
        return;
      }
      this.drawnData[k] = data;
      const kind = k === 0 ? 'loss' : 'accuracy';
      let lo = Infinity, hi = 0;
      const groups = seedGroups(run);
      if (groups) groups.forEach((g, i) => {
        const c = groupCurves(run, g, kind, this.band());
        [c.low, c.high, c.mean, c.test].forEach((d, k) => { chart.data.datasets[PER_GROUP * i + k]!.data = d; });
        for (const p of c.high) if (p.y > 0 && Number.isFinite(p.y)) hi = Math.max(hi, p.y);
        for (const p of c.low) if (p.y > 0 && Number.isFinite(p.y)) lo = Math.min(lo, p.y);
      });
      else run.variants.forEach((v, i) => {
        const s = v.store.s;
        const ys = kind === 'loss' ? s.loss : s.accuracy;
        // the chart's own arrays, rewritten in place: a new array would make Chart.js drop and
        // re-create what it keeps per point
        const train = chart.data.datasets[2 * i]!.data;
        const n = v.store.count;
        for (let c = 0; c < n; c++) setPoint(train, c, s.step[c]!, ys[c]!);
        train.length = n;
        const test = chart.data.datasets[2 * i + 1]!.data;
        let t = 0;
        for (const e of v.epochs) {
          const val = e.test ? (kind === 'loss' ? e.test.loss : e.test.accuracy) : NaN;
          if (Number.isFinite(val)) setPoint(test, t++, e.step, val);
        }
        test.length = t;
        for (let c = 0; c < n; c++) {
          const y = train[c]!.y;
          if (y > 0 && Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
        }
      });
      if (kind === 'loss') {
        // a diverging variant's loss would flatten every other curve: switch to a log axis
        const y = chart.options.scales!.y!;
        const log = hi / lo > 1e3;
        if ((y.type === 'logarithmic') !== log) {
          chart.options.scales!.y = { ...y, type: log ? 'logarithmic' : 'linear', min: log ? undefined : 0 } as typeof y;
        }
      }
      chart.options.scales!.x!.max = maxStep;
      chart.update('none');
    });
  }

  /** the loss and accuracy charts as drawn (the SVG export reads their scales and points) */
  get drawn(): readonly Chart<'line', XY[]>[] {
    return this.charts;
  }

  destroy(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.key = '';
    this.drawnData = [];
  }
}
