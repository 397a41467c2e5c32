/**
 * Test bed for webview/shared (not shipped in the VSIX): draws one heatmap with a legend from a
 * message, so test/webview/shared.test.ts can check the shared drawing code pixel by pixel.
 *   { type: 'heatmap', cols, rows, values: number[] (row-major), domain: { kind, min, max }, ramp: 'viridis' | 'theme' }
 */
import '../shared/base.css';
import { ColorScale, Ramp, type ScaleDomain } from '../shared/colorscale';
import { attachCellInteraction, Heatmap } from '../shared/heatmap';
import { Legend } from '../shared/legend';
import { onThemeChange, parseColor, readTheme } from '../shared/theme';
import { Tooltip } from '../shared/tooltip';
import { onHostMessage, vscodeApi } from '../shared/vscode-api';

interface Msg { type: 'heatmap'; cols: number; rows: number; values: number[]; domain: ScaleDomain; ramp: 'viridis' | 'theme' }

const api = vscodeApi<{ last: Msg | null }, { type: string; [k: string]: unknown }>();
const app = document.getElementById('app')!;
const canvas = document.createElement('canvas');
canvas.className = 'heatmap';
canvas.tabIndex = 0;
canvas.id = 'hm';
canvas.style.height = '200px';
app.append(canvas);
const legend = new Legend(app);
const tip = new Tooltip();
const hm = new Heatmap(canvas);
let last: Msg | null = api.getState()?.last ?? null;
let theme = readTheme();

function draw() {
  if (!last) return;
  const m = last;
  const ramp = m.ramp === 'viridis' ? Ramp.viridis() : Ramp.between(parseColor(theme.background), parseColor(theme.charts.red));
  const scale = new ColorScale(m.domain, ramp, 'value');
  hm.draw({ cols: m.cols, rows: m.rows, get: (c, r) => m.values[r * m.cols + c] ?? NaN, scale, background: theme.background, cursorColor: theme.focus });
  legend.update(scale, 'test');
}

attachCellInteraction(hm, {
  onCell(cell) {
    if (!cell || !last) return tip.hide();
    const p = hm.cellCenter(cell);
    tip.show([`col ${cell.col}, row ${cell.row}`, `value ${last.values[cell.row * last.cols + cell.col]}`], p.x, p.y);
    api.postMessage({ type: 'cell', ...cell });
  },
});
onThemeChange((t) => { theme = t; draw(); });
onHostMessage<Msg>((m) => {
  if (m.type !== 'heatmap') return;
  last = m;
  api.setState({ last });
  draw();
});
draw();
api.postMessage({ type: 'ready' });
