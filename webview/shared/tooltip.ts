/**
 * One floating tooltip (role="tooltip") for canvas hovers: show(lines, x, y) near a client
 * position, kept inside the viewport; hide(). Styled by .tooltip in shared/base.css.
 */
export class Tooltip {
  readonly el: HTMLElement;

  constructor(parent: HTMLElement = document.body, id = 'mlp-tooltip') {
    this.el = document.createElement('div');
    this.el.className = 'tooltip';
    this.el.id = id;
    this.el.setAttribute('role', 'tooltip');
    this.el.hidden = true;
    parent.append(this.el);
  }

  show(lines: readonly string[], clientX: number, clientY: number): void {
    this.el.replaceChildren(
      ...lines.map((l, i) => {
        const d = document.createElement('div');
        if (i === 0) d.className = 'tooltip-title';
        d.textContent = l;
        return d;
      }),
    );
    this.el.hidden = false;
    const pad = 12;
    const w = this.el.offsetWidth, h = this.el.offsetHeight;
    let x = clientX + pad, y = clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, clientX - pad - w);
    if (y + h > window.innerHeight - 4) y = Math.max(4, clientY - pad - h);
    this.el.style.left = `${x + window.scrollX}px`;
    this.el.style.top = `${y + window.scrollY}px`;
  }

  hide(): void {
    this.el.hidden = true;
  }

  get text(): string {
    return this.el.hidden ? '' : (this.el.textContent ?? '');
  }
}
