/**
 * npm run bench:panel: the training panel's frames and memory in headless Chromium (not a test;
 * numbers vary by machine and load). The panel bundle (dist/webview/panel.js) runs in the test
 * harness (test/webview/harness.ts: the extension's HTML shell and CSP). Two scenes:
 *
 *   stream   the lecture config with a fourth variant, trained by the real worker (dist/worker.js),
 *            its host -> panel messages (test/webview/panel-stream.ts) posted 30 ms apart, as the
 *            host throttles them while training
 *   cursor   a 1,000,000-step lecture run (synthetic metrics.bin: one real record's numbers,
 *            steps counted up) opened as Open Run opens it (loadRunModel, 1000 history columns),
 *            then the mouse moved across every variant's gradient heatmap, 400 moves 16 ms apart
 *
 * In the page, with the Performance API: the interval between animation frames, and each frame's
 * work (from the first requestAnimationFrame callback of the frame to the first task after it:
 * the panel's drawing, style, layout and paint); p50, p95 and max of each, and frames over 16 ms.
 * The page's JS heap after a garbage collection (Chrome DevTools Protocol: HeapProfiler.collectGarbage,
 * Runtime.getHeapUsage) along the stream and at the end of each scene.
 *
 *   npm run bench:panel [-- --steps N] [--scene stream|cursor] [--profile]
 *
 * --steps: the cursor scene's run length (default 1,000,000); --scene: run one scene only;
 * --profile: a CPU profile of each scene (DevTools Protocol Profiler), its functions by self time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRunModel } from '../src/runs/loader';
import type { PanelSettings } from '../src/shared/protocol';
import { writeSyntheticRun } from './synthetic-run';
import { closeBrowser, openWebview, type WebviewPage } from '../test/webview/harness';
import { LECTURE, panelStream, recordWorker } from '../test/webview/panel-stream';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const STEPS = Number(opt('--steps') ?? 1_000_000);
const SCENE = opt('--scene');
const PROFILE = args.includes('--profile');
const SETTINGS: PanelSettings = { gradientScale: 'window', gradientDomain: [1e-5, 10], colorWindow: 100 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start measuring frames in the page (see the file's comment). */
async function startFrames(wv: WebviewPage): Promise<void> {
  await wv.page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __work: number[]; __stop: boolean };
    w.__frames = []; w.__work = []; w.__stop = false;
    const ch = new MessageChannel();
    let start = 0, last = 0;
    ch.port1.onmessage = () => { w.__work.push(performance.now() - start); };
    const loop = () => {
      if (w.__stop) return;
      const now = performance.now();
      if (last) w.__frames.push(now - last);
      last = start = now;
      ch.port2.postMessage(0);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
}

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type CDP = Awaited<ReturnType<WebviewPage['context']['newCDPSession']>>;

/** --profile: start the page's CPU profiler (sampling every 200 µs). */
async function startProfile(wv: WebviewPage): Promise<CDP | null> {
  if (!PROFILE) return null;
  const cdp = await wv.context.newCDPSession(wv.page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  return cdp;
}

/** --profile: stop it and print the 25 functions with the most self time, and what each spent in total (self + callees). */
async function stopProfile(cdp: CDP | null): Promise<void> {
  if (!cdp) return;
  const { profile } = await cdp.send('Profiler.stop') as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
  await cdp.detach();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>(), total = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const n = byId.get(id)!;
    self.set(name(n), (self.get(name(n)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let m: ProfileNode | undefined = n; m; m = byId.get(parent.get(m.id) ?? -1)) {
      const k = name(m);
      if (!seen.has(k)) total.set(k, (total.get(k) ?? 0) + dt);
      seen.add(k);
    }
  });
  const all = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`  CPU profile: ${all.toFixed(0)} ms sampled; self ms / total ms, function`);
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`    ${v.toFixed(0).padStart(6)} ${total.get(k)!.toFixed(0).padStart(6)}  ${k}`);
}

/** The page's JS heap in MiB after a full garbage collection: what it retains. */
async function heapMiB(wv: WebviewPage): Promise<number> {
  const cdp = await wv.context.newCDPSession(wv.page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize / 2 ** 20;
  } finally {
    await cdp.detach();
  }
}

async function stopFrames(wv: WebviewPage): Promise<{ frames: number[]; work: number[]; heapMB: number }> {
  const r = await wv.page.evaluate(async () => {
    const w = window as unknown as { __frames: number[]; __work: number[]; __stop: boolean };
    w.__stop = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { frames: w.__frames, work: w.__work };
  });
  return { ...r, heapMB: await heapMiB(wv) };
}

function report(scene: string, r: { frames: number[]; work: number[]; heapMB: number }, heap: number[] = []): void {
  const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };
  const line = (xs: number[], over: number, what: string) => `p50 ${q(xs, 0.5).toFixed(1)} ms, p95 ${q(xs, 0.95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms; ${xs.filter((x) => x > over).length} of ${xs.length} ${what}`;
  console.log(`${scene}:`);
  console.log(`  frame work     ${line(r.work, 16, 'over 16 ms')}; ${r.work.reduce((a, b) => a + b, 0).toFixed(0)} ms in all`);
  // at 60 Hz frames are 16.7 ms apart: over 20 ms, a frame was missed
  console.log(`  frame interval ${line(r.frames, 20, 'over 20 ms (a frame missed)')}`);
  console.log(`  JS heap after a garbage collection: ${heap.length ? `${heap.map((h) => h.toFixed(1)).join(', ')} MiB along the scene, ` : ''}${r.heapMB.toFixed(1)} MiB at the end`);
}

/** The stream scene: four variants trained by the worker, their messages posted 30 ms apart. */
async function stream(): Promise<void> {
  const cfg = JSON.parse(LECTURE) as { variants: object[]; epochs: number };
  cfg.variants.push({ name: 'tanh+glorot', activation: 'tanh', init: 'glorot_uniform' });
  cfg.epochs = 20;
  const text = JSON.stringify(cfg);
  const rec = await recordWorker(text, 'four.mlp.json');
  const { messages } = panelStream(rec.msgs, text, rec.file);
  const wv = await openWebview('panel', { theme: 'dark', name: 'bench-panel-stream' });
  await startFrames(wv);
  const prof = await startProfile(wv);
  const t0 = performance.now();
  const heap: number[] = [];
  for (const [i, m] of messages.entries()) {
    await wv.post(m);
    await sleep(30);
    // the heap at each quarter of the stream: it should level off, not grow with the run
    if (i > 0 && i % Math.ceil(messages.length / 4) === 0) heap.push(await heapMiB(wv));
  }
  await sleep(200);
  await stopProfile(prof);
  const r = await stopFrames(wv);
  const steps = await wv.page.evaluate(() => (document.getElementById('app') as HTMLElement).dataset.steps);
  report(`stream: 4 variants x ${Number(steps) / 4} steps, ${messages.length} messages over ${((performance.now() - t0) / 1000).toFixed(1)} s`, r, heap);
  await wv.close();
}

/** A synthetic lecture run of `n` steps in `dir`, made from a real 2-epoch run (as bench-cli's). */
async function millionRun(tmp: string, n: number): Promise<string> {
  const rec = await recordWorker(LECTURE, 'lecture.mlp.json');
  const done = rec.msgs.find((m) => m.type === 'variantDone') as { runDir: string } | undefined;
  if (!done) throw new Error('the lecture run did not finish');
  const dir = done.runDir;
  const big = path.join(tmp, 'million');
  await writeSyntheticRun(dir, big, n);
  return big;
}

/** The cursor scene: the mouse across each variant's gradient heatmap of a long run. */
async function cursor(tmp: string): Promise<void> {
  const dir = await millionRun(tmp, STEPS);
  const model = await loadRunModel([dir], 1000, 'million');
  const snapshot = model.snapshot(SETTINGS);
  const wv = await openWebview('panel', { theme: 'dark', name: 'bench-panel-cursor' });
  await wv.post(snapshot);
  await wv.page.waitForSelector('canvas.heatmap.grad');
  await sleep(300);
  const boxes = [];
  for (const el of await wv.page.locator('canvas.heatmap.grad').all()) boxes.push((await el.boundingBox())!);
  await startFrames(wv);
  const prof = await startProfile(wv);
  const moves = 400;
  for (let i = 0; i < moves; i++) {
    const b = boxes[Math.floor(i / (moves / boxes.length)) % boxes.length]!;
    const t = (i % (moves / boxes.length)) / (moves / boxes.length);
    await wv.page.mouse.move(b.x + 1 + t * (b.width - 2), b.y + b.height * (0.1 + 0.8 * ((i * 7) % 10) / 10));
    await sleep(16);
  }
  await wv.page.mouse.move(1, 1);
  await sleep(200);
  await stopProfile(prof);
  const r = await stopFrames(wv);
  report(`cursor: ${STEPS.toLocaleString('en-US')}-step lecture run, ${moves} mouse moves over ${boxes.length} gradient heatmap(s)`, r);
  await wv.close();
}

async function main(): Promise<void> {
  console.log(`mlp-lens bench:panel ${new Date().toISOString()}; ${os.cpus()[0]?.model} x ${os.cpus().length}, ${os.platform()} ${os.release()}, Node ${process.version}`);
  console.log(`command: npm run bench:panel -- ${args.join(' ')}\n`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-bench-panel-'));
  try {
    if (SCENE !== 'cursor') await stream();
    if (SCENE !== 'stream') await cursor(tmp);
  } finally {
    await closeBrowser();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
