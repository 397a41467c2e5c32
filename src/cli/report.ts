/**
 * Plain-text tables for the CLI: per variant and hidden layer, saturation and gradient norms
 * at initialization (the first step's probes, measured before the first update) and at the end.
 */
import { ratioText } from '../engine/inspect/warnings';
import type { LayerProbe } from '../engine/probes';
import type { VariantOutcome } from '../node/train-session';

function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

function sci(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '-' : x.toExponential(2);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** ‖δ_first hidden‖ / ‖δ_last hidden‖ for a step's probes (null without two hidden layers). */
export function deltaRatio(layers: LayerProbe[] | undefined): number | null {
  if (!layers) return null;
  const hidden = layers.filter((l) => l.saturation !== null);
  if (hidden.length < 2) return null;
  return hidden[0]!.delta / hidden[hidden.length - 1]!.delta;
}

/** "0.051 (1/19.4)" below 1 (ratioText: the reciprocal of the ratio as measured), else "1.250" */
function ratioCell(r: number | null): string {
  if (r === null) return '-';
  return r > 0 && r < 1 ? `${r.toFixed(3)} (${ratioText(r)})` : r.toFixed(3);
}

export function formatVariantReport(o: VariantOutcome): string {
  const s = o.summary;
  const lines: string[] = [];
  lines.push(`  ${s.status}: ${s.steps} steps, ${s.epochs} epochs, ${Math.round(s.samplesPerSecond).toLocaleString('en-US')} samples/s`);
  lines.push(`  final: train loss ${num(s.train?.loss, 4)} acc ${num(s.train?.accuracy)}  test loss ${num(s.test?.loss, 4)} acc ${num(s.test?.accuracy)}`);
  const init = o.first?.layers, end = o.last?.layers;
  if (init) {
    const rows = [['layer', 'sat@init', 'sat@end', '|delta|@init', '|delta|@end', '|dW|@init', '|dW|@end']];
    init.forEach((l, k) => {
      const e = end?.[k];
      const name = k === init.length - 1 ? `output (${l.activation})` : `hidden ${k + 1} (${l.activation})`;
      rows.push([name, num(l.saturation), num(e?.saturation), sci(l.delta), sci(e?.delta), sci(l.gradW), sci(e?.gradW)]);
    });
    lines.push(table(rows));
    const r = deltaRatio(init);
    if (r !== null) lines.push(`  |delta| first/last hidden layer at init: ${ratioCell(r)}`);
  }
  return lines.join('\n');
}

export function formatComparison(outcomes: VariantOutcome[]): string {
  const rows = [['variant', 'status', 'train acc', 'test acc', 'mean sat@init', 'delta1/deltaL@init']];
  for (const o of outcomes) {
    const hidden = o.first?.layers.filter((l) => l.saturation !== null) ?? [];
    const meanSat = hidden.length ? hidden.reduce((a, l) => a + l.saturation!, 0) / hidden.length : null;
    rows.push([o.summary.variant, o.summary.status, num(o.summary.train?.accuracy), num(o.summary.test?.accuracy), num(meanSat), ratioCell(deltaRatio(o.first?.layers))]);
  }
  return 'comparison\n' + table(rows);
}
