/**
 * Which of the panel's drawn elements are on screen (an IntersectionObserver, with a margin of
 * half a screen so a slow scroll finds them drawn): the draw queue (schedule.ts) lets an
 * off-screen element's drawing wait, and draws it when it comes into view. An element not yet
 * reported counts as on screen.
 */
const shown = new WeakMap<Element, boolean>();
const listeners: (() => void)[] = [];

const io = new IntersectionObserver((entries) => {
  let appeared = false;
  for (const e of entries) {
    if (e.isIntersecting && shown.get(e.target) === false) appeared = true;
    shown.set(e.target, e.isIntersecting);
  }
  if (appeared) for (const fn of listeners) fn();
}, { rootMargin: '0px' });

/** Start following an element (once; a removed element is dropped by the observer's owner's GC). */
export function watch(el: Element): void {
  if (shown.has(el)) return;
  shown.set(el, true);
  io.observe(el);
}

/** Stop following an element (the cards were rebuilt). */
export function unwatch(el: Element): void {
  io.unobserve(el);
  shown.delete(el);
}

export function isVisible(el: Element): boolean {
  return shown.get(el) ?? true;
}

/** Call fn when a followed element comes into view. */
export function onShown(fn: () => void): void {
  listeners.push(fn);
}
