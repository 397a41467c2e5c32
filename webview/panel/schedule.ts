/**
 * Render requests: at most one render per animation frame. main.ts names the renderer (the
 * render code imports the parts that request renders, so they cannot import it).
 */
let renderer: () => void = () => {};
let queued = false;

export function setRenderer(fn: () => void): void {
  renderer = fn;
}

export function scheduleRender(): void {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => {
    queued = false;
    renderer();
  });
}
