/** The network section: layer sizes, parameters and memory per variant (one line when they agree), and variants that failed. */
import type { VariantInspection } from '../../src/engine/inspect/inspect';
import { el } from './dom';
import { bytes, int } from './format';

export function networkSection(variants: VariantInspection[]): HTMLElement {
  const s = el('section', 'network');
  s.id = 'network';
  s.append(el('h2', '', 'Network'));
  const ok = variants.filter((v) => v.architecture);
  const same = ok.every((v) => JSON.stringify(v.architecture!.sizes) === JSON.stringify(ok[0]!.architecture!.sizes));
  const line = (v: VariantInspection, label: string | null) => {
    const a = v.architecture!;
    const p = el('p', 'arch');
    if (label) p.append(el('strong', '', `${label}: `));
    const sizes = el('span', 'sizes', a.sizes.join(' → '));
    sizes.title = a.layers.map((l) => `${l.name}: ${l.inSize} → ${l.outSize} ${l.activation}, ${int(l.parameters)} parameters`).join('\n');
    p.append(sizes, el('span', 'muted', ` · ${int(a.parameterCount)} parameters · ${bytes(a.memory.total)} per step`));
    p.dataset.variant = v.variant;
    const m = a.memory;
    p.title = `float32 memory: parameters ${bytes(m.parameters)}, gradients ${bytes(m.gradients)}, optimizer state ${bytes(m.optimizerState)}, ` +
      `activations and signals for a batch of ${a.batchSize} ${bytes(m.activations)}; dataset ${bytes(m.dataset)}. ` +
      `${int(a.stepsPerEpoch)} steps per epoch, ${int(a.totalSteps)} in all.`;
    return p;
  };
  if (ok.length && same) s.append(line(ok[0]!, null));
  else for (const v of ok) s.append(line(v, v.variant));
  if (ok.length) {
    const a = ok[0]!.architecture!;
    s.append(el('p', 'muted small', `batch ${a.batchSize} · ${int(a.stepsPerEpoch)} steps/epoch · ${int(a.totalSteps)} steps · data ${bytes(a.memory.dataset)}`));
  }
  for (const v of variants.filter((x) => x.error)) {
    const p = el('p', 'error-line');
    p.append(el('strong', '', `${v.variant}: `), document.createTextNode(v.error!));
    s.append(p);
  }
  return s;
}
