/**
 * Element builders every webview uses: el (tag, class, text), a table's header, the per-layer
 * numbers' section, the live region, and the gradient-quantity radios.
 */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A table's <thead>: one row of column headers (scope="col"). */
export function tableHead(titles: readonly string[]): HTMLTableSectionElement {
  const head = el('tr');
  for (const t of titles) {
    const th = el('th', undefined, t);
    th.scope = 'col';
    head.append(th);
  }
  const thead = el('thead');
  thead.append(head);
  return thead;
}

/**
 * The "Per-layer numbers" section: a <details id="numbers"> (styled by .numbers in
 * shared/base.css) whose table goes into `tableBox`; `onToggle` is told when it opens or closes.
 */
export function numbersSection(summary: string, open: boolean, onToggle: (open: boolean) => void): { details: HTMLDetailsElement; tableBox: HTMLDivElement } {
  const details = el('details', 'numbers');
  details.id = 'numbers';
  const tableBox = el('div', 'table-box');
  details.append(el('summary', undefined, summary), tableBox);
  details.open = open;
  details.addEventListener('toggle', () => onToggle(details.open));
  return { details, tableBox };
}

/** The visually hidden live region (#live) that announces changes to screen readers. */
export function liveRegion(): HTMLDivElement {
  const live = el('div', 'visually-hidden');
  live.id = 'live';
  live.setAttribute('aria-live', 'polite');
  return live;
}

export type GradientQuantity = 'delta' | 'gradW';

/**
 * The "Gradient: ‖δ‖ back-propagated / ‖dW‖ weight gradient" radio group (ids grad-delta,
 * grad-gradW); `onChange` is told the quantity picked.
 */
export function gradientRadios(checked: GradientQuantity | null, onChange: (q: GradientQuantity) => void): { group: HTMLDivElement; radios: HTMLInputElement[] } {
  const group = el('div', 'radio-group');
  group.setAttribute('role', 'radiogroup');
  group.setAttribute('aria-label', 'gradient quantity');
  group.append(el('span', 'label', 'Gradient'));
  const radios = (['delta', 'gradW'] as const).map((q) => {
    const label = el('label');
    const input = el('input');
    input.type = 'radio';
    input.name = 'gradient';
    input.value = q;
    input.id = `grad-${q}`;
    if (checked !== null) input.checked = checked === q;
    input.addEventListener('change', () => onChange(q));
    label.append(input, document.createTextNode(q === 'delta' ? ' ‖δ‖ back-propagated' : ' ‖dW‖ weight gradient'));
    group.append(label);
    return input;
  });
  return { group, radios };
}
