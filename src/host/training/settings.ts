/**
 * The mlpLens.* settings training reads: the panel's (PanelSettings), the update rate, the
 * history length, and mlpLens.probeInterval applied to a config's text.
 */
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { resolveConfig } from '../../engine/config';
import type { PanelSettings } from '../../shared/protocol';
import { DEFAULT_PANEL_SETTINGS } from '../../runs/model';

export function cfgSection() {
  return vscode.workspace.getConfiguration('mlpLens');
}

export function panelSettings(): PanelSettings {
  const c = cfgSection();
  const dom = c.get<number[]>('gradientDomain', DEFAULT_PANEL_SETTINGS.gradientDomain);
  const ok = Array.isArray(dom) && dom.length === 2 && dom.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x)) && dom[0]! < dom[1]!;
  return {
    gradientScale: c.get('gradientScale') === 'fixed' ? 'fixed' : 'window',
    gradientDomain: ok ? [dom[0]!, dom[1]!] : DEFAULT_PANEL_SETTINGS.gradientDomain,
    colorWindow: Math.max(5, Math.min(5000, Math.round(c.get<number>('colorWindow', 100)) || 100)),
  };
}

export function updateRate(): number {
  const r = cfgSection().get<number>('updateRate', 10);
  return Math.max(1, Math.min(20, Number.isFinite(r) ? r : 10));
}

/** mlpLens.recordFormat: step records as metrics.bin ("binary", the default) or metrics.jsonl. */
export function recordFormat(): 'binary' | 'jsonl' {
  return cfgSection().get<string>('recordFormat', 'binary') === 'jsonl' ? 'jsonl' : 'binary';
}

export function historyColumns(): number {
  const n = cfgSection().get<number>('historyColumns', 1000);
  return Math.max(100, Math.min(20000, Math.round(Number.isFinite(n) ? n : 1000)));
}

/** Apply mlpLens.probeInterval to the config text: the base's probes and those of variants that set their own. */
export function withProbeInterval(text: string, log: vscode.LogOutputChannel): string {
  const every = Math.round(cfgSection().get<number>('probeInterval', 0) ?? 0);
  if (!(every > 0)) return text;
  const fmt = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
  let out = applyEdits(text, modify(text, ['probes', 'every'], every, fmt));
  const variants = (parseJsonc(out) as { variants?: unknown[] } | undefined)?.variants;
  (Array.isArray(variants) ? variants : []).forEach((v, i) => {
    // a variant that names "probes" replaces the base's wholesale: set it there too
    if (v && typeof v === 'object' && 'probes' in v) out = applyEdits(out, modify(out, ['variants', i, 'probes', 'every'], every, fmt));
  });
  try {
    resolveConfig(out, 'probe-interval');
    return out;
  } catch {
    log.warn(`mlpLens.probeInterval ${every} does not fit this config; using the config's probes`);
    return text;
  }
}
