/**
 * A colour legend: the ramp as a bar (canvas) with its tick numbers as real text underneath
 * (readable by screen readers and by tests), plus a caption such as "‖δ‖, log, window: last 100
 * columns". Style it with the .legend* classes in shared/base.css.
 *
 *   const legend = new Legend(container);
 *   legend.update(scale, 'window: last 100 columns');
 */
import { type ColorScale, formatNumber } from './colorscale';

export class Legend {
  readonly root: HTMLElement;
  private readonly bar: HTMLCanvasElement;
  private readonly ticks: HTMLElement;
  private readonly caption: HTMLElement;
  private key = '';

  constructor(container: HTMLElement) {
    this.root = document.createElement('div');
    this.root.className = 'legend';
    this.caption = document.createElement('div');
    this.caption.className = 'legend-caption';
    this.bar = document.createElement('canvas');
    this.bar.className = 'legend-bar';
    this.bar.width = 256;
    this.bar.height = 1;
    this.bar.setAttribute('aria-hidden', 'true');
    this.ticks = document.createElement('div');
    this.ticks.className = 'legend-ticks';
    this.root.append(this.caption, this.bar, this.ticks);
    container.append(this.root);
  }

  /** Redraw if the scale or caption changed (cheap to call on every frame). */
  update(scale: ColorScale, note = ''): void {
    const d = scale.domain;
    const key = `${d.kind}|${d.min}|${d.max}|${note}|${scale.label}|${scale.ramp.lut.join(',')}`;
    if (key === this.key) return;
    this.key = key;
    const ctx = this.bar.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(256, 1);
      img.data.set(scale.ramp.lut);
      for (let i = 0; i < 256; i++) img.data[i * 4 + 3] = 255;
      ctx.putImageData(img, 0, 0);
    }
    const range = `${formatNumber(d.min)} to ${formatNumber(d.max)}`;
    this.caption.textContent = `${scale.label}${scale.label ? ' ' : ''}(${d.kind === 'log' ? 'log' : 'linear'}${note ? `, ${note}` : ''})`;
    this.root.setAttribute('aria-label', `colour scale ${scale.label}: ${range}, ${d.kind}${note ? `, ${note}` : ''}`);
    this.root.dataset.min = String(d.min);
    this.root.dataset.max = String(d.max);
    this.root.dataset.kind = d.kind;
    this.ticks.replaceChildren();
    // every decade on a log scale (up to 8), 0.2 steps on a 0..1 linear one
    for (const t of scale.ticks(d.kind === 'log' ? 8 : 6)) {
      const span = document.createElement('span');
      span.className = 'legend-tick';
      span.textContent = t.text;
      span.dataset.value = String(t.value);
      // CSSOM property writes are allowed under a strict style-src (only style attributes/elements are not)
      span.style.left = `${(t.t * 100).toFixed(2)}%`;
      if (t.t > 0.92) span.classList.add('end');
      else if (t.t < 0.08) span.classList.add('start');
      this.ticks.append(span);
    }
  }
}
