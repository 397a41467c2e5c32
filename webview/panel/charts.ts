/**
 * Loss and accuracy curves (Chart.js), one colour per variant from the charts.* theme tokens:
 * solid = training minibatches (per history column), dashed with points = test set at each
 * epoch's end. No animation (live data; and it honours reduced motion for free). Chart.js
 * draws on its canvas and sets sizes through the CSSOM, which the strict CSP allows.
 */
import { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import type { Theme } from '../shared/theme';
import { runStepSpan, type ClientRun } from './model';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Tooltip);

type XY = { x: number; y: number };

const cursorLine: Plugin<'line'> = {
  id: 'mlpCursor',
  afterDatasetsDraw(chart) {
    const step = (chart.options.plugins as { mlpCursor?: { step: number | null; color: string } }).mlpCursor;
    if (!step || step.step === null) return;
    const x = chart.scales.x!.getPixelForValue(step.step);
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

  constructor(private readonly canvases: [HTMLCanvasElement, HTMLCanvasElement]) {}

  private build(run: ClientRun, theme: Theme): void {
    this.destroy();
    const kinds: ('loss' | 'accuracy')[] = ['loss', 'accuracy'];
    this.charts = kinds.map((kind, k) => {
      const datasets: ChartDataset<'line', XY[]>[] = [];
      run.variants.forEach((v, i) => {
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
              labels: { color: theme.chartsForeground, boxWidth: 14, boxHeight: 2, filter: (item: { text: string }) => !String(item.text).endsWith('(test)') },
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
  private shapeKey(run: ClientRun, theme: Theme): string {
    return `${run.run.id}|${run.variants.map((v) => v.meta.name).join(',')}|${theme.kind}|${theme.series.join(',')}|${theme.chartsForeground}|${theme.chartsLines}|${theme.fontFamily}`;
  }

  update(run: ClientRun, theme: Theme, cursorStep: number | null): void {
    if (this.shapeKey(run, theme) !== this.key || !this.charts.length) this.build(run, theme);
    const maxStep = runStepSpan(run);
    this.charts.forEach((chart, k) => {
      const kind = k === 0 ? 'loss' : 'accuracy';
      let lo = Infinity, hi = 0;
      run.variants.forEach((v, i) => {
        const s = v.store.s;
        const train: XY[] = new Array(v.store.count);
        const ys = kind === 'loss' ? s.loss : s.accuracy;
        for (let c = 0; c < v.store.count; c++) train[c] = { x: s.step[c]!, y: ys[c]! };
        const test: XY[] = [];
        for (const e of v.epochs) {
          const val = e.test ? (kind === 'loss' ? e.test.loss : e.test.accuracy) : NaN;
          if (Number.isFinite(val)) test.push({ x: e.step, y: val });
        }
        chart.data.datasets[2 * i]!.data = train;
        chart.data.datasets[2 * i + 1]!.data = test;
        for (const p of train) if (p.y > 0 && Number.isFinite(p.y)) { lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); }
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
      (chart.options.plugins as { mlpCursor: { step: number | null } }).mlpCursor.step = cursorStep;
      chart.update('none');
    });
  }

  destroy(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.key = '';
  }
}
