/**
 * A synthetic long run for the benchmarks (bench:cli, bench:panel): a lecture run of `n` steps in
 * binary records, every frame one real record's numbers with its step and epoch counted up (45
 * steps an epoch, as the lecture's), each frame with its own CRC. Made from the run folder `src`
 * of a real lecture run (its config, summary and one of its step records).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepRecord } from '../src/engine/trainer';
import type { ResolvedConfig } from '../src/engine/types';
import { readRunRecords } from '../src/runs/read';
import { crc32, encodeStep, headerBytes, writerLayout } from '../src/runs/steps-format';

export async function writeSyntheticRun(src: string, big: string, n: number): Promise<void> {
  const cfg = { ...(JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8')) as ResolvedConfig) };
  fs.mkdirSync(big, { recursive: true });
  const spe = 45;
  cfg.epochs = Math.ceil(n / spe);
  fs.writeFileSync(path.join(big, 'config.json'), JSON.stringify(cfg));
  const summary = JSON.parse(fs.readFileSync(path.join(src, 'summary.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(big, 'summary.json'), JSON.stringify({ ...summary, epochs: cfg.epochs, epochsPlanned: cfg.epochs, steps: n, stepsPlanned: n }));
  const L = writerLayout(cfg, 10, 32);
  const fb = L.frameBytes;
  let first: StepRecord | null = null;
  await readRunRecords(src, () => 'unused', (s) => { first ??= s[10] ?? s[0] ?? null; });
  if (!first) throw new Error(`${src} has no step records`);
  const fd = fs.openSync(path.join(big, 'metrics.bin'), 'w');
  try {
    fs.writeSync(fd, headerBytes(L));
    const per = 4096;
    const buf = Buffer.alloc(per * fb);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    encodeStep(first, 32, L, view, buf, 0);
    for (let i = 1; i < per; i++) buf.copy(buf, i * fb, 0, fb);
    for (let s = 0; s < n; s += per) {
      const m = Math.min(per, n - s);
      for (let i = 0; i < m; i++) {
        const o = i * fb;
        view.setUint32(o, s + i + 1, true);
        view.setUint32(o + 4, Math.floor((s + i) / spe), true);
        view.setUint32(o + L.crcAt, crc32(buf, o, o + L.crcAt), true);
      }
      fs.writeSync(fd, buf, 0, m * fb);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(big, 'epochs.jsonl'), '');
}
