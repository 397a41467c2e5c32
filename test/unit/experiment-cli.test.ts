/**
 * Experiments through the built CLI: the pool's records are bit-identical whatever its size (and
 * to a plain run of the same config), shards share one folder, interrupted and repeated
 * experiments resume, `runs` lists them, and `export` writes a CSV that parses back to exactly
 * the recorded values.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { EpochRecord, StepRecord } from '../../src/engine/trainer';
import type { ExperimentRecord } from '../../src/runs/experiment-record';
import { readCheckedRecords } from '../../src/runs/read';
import { CLI, cli, show, tmp } from '../support/cli';
import { parseCsv } from '../support/csv';

const base = {
  name: 'small', dataset: { type: 'digits' }, layers: [16], epochs: 1, batchSize: 64, lr: 0.1,
  variants: [{ name: 'relu,"he"', activation: 'relu', init: 'he_normal' }, { name: 'tanh', activation: 'tanh' }],
};

function setup(extra: object = {}, cfg: object = base): string {
  const dir = tmp('mlp-lens-exp-');
  writeFileSync(join(dir, 'e.mlp.json'), JSON.stringify({ ...cfg, ...extra }));
  return dir;
}

const record = (dir: string): ExperimentRecord => JSON.parse(readFileSync(join(dir, 'experiment.json'), 'utf8')) as ExperimentRecord;

/** Every file under `dir`, relative, for leftovers. */
const tree = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();

function spawnCli(args: string[], cwd: string): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; child: ReturnType<typeof spawn>; lines: (n: number) => Promise<void> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd });
  let stdout = '', stderr = '';
  const waiters: { n: number; resolve(): void }[] = [];
  child.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString();
    const progress = stdout.split('\n').filter((l) => /^\[\s*\d+\//.test(l)).length;
    for (const w of waiters.filter((x) => progress >= x.n)) w.resolve();
  });
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, lines: (n) => new Promise((resolve) => waiters.push({ n, resolve })) };
}

describe('experiments in the CLI', () => {
  test('a pool of 1 and of 2 write byte-identical records, the same as a plain run', () => {
    const dir = setup({ seeds: 2 });
    for (const [jobs, out] of [['1', 'one'], ['2', 'two']]) {
      const r = cli(['train', 'e.mlp.json', '--out', out!, '--jobs', jobs!], dir);
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout, /^\[1\/4\] .* completed {2}test acc 0\.\d{3} {2}\d\.\d\d s$/m);
    }
    const rec = record(join(dir, 'two'));
    assert.deepEqual(rec.runs.map((r) => [r.name, r.status]), [
      ['relu,"he" seed=0', 'completed'], ['relu,"he" seed=1', 'completed'], ['tanh seed=0', 'completed'], ['tanh seed=1', 'completed'],
    ]);
    for (const r of rec.runs) {
      for (const f of ['metrics.bin', 'epochs.jsonl', 'config.json', 'model.bin']) {
        assert.ok(readFileSync(join(dir, 'one', r.folder, f)).equals(readFileSync(join(dir, 'two', r.folder, f))), `${r.folder}/${f}`);
      }
      assert.ok(r.test && r.test.accuracy > 0.3 && r.seconds > 0 && r.saturation !== null);
    }
    // the same run as an ordinary config
    const plainCwd = setup({}, base);
    const plain = cli(['train', 'e.mlp.json', '--out', 'plain', '--variant', 'tanh', '--seed', '1'], plainCwd);
    assert.equal(plain.status, 0, show(plain));
    assert.ok(readFileSync(join(plainCwd, 'plain', 'tanh', 'metrics.bin')).equals(readFileSync(join(dir, 'two', 'tanh_seed_1', 'metrics.bin'))));
  });

  test('two shards in one folder at once: every run once, experiment.json complete, no lock left', async () => {
    const dir = setup({ seeds: 3 });
    const a = spawnCli(['train', 'e.mlp.json', '--out', 'x', '--shard', '1/2', '--jobs', '1'], dir);
    const b = spawnCli(['train', 'e.mlp.json', '--out', 'x', '--shard', '2/2', '--jobs', '1'], dir);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(ra.stdout, /this shard: 3/);
    const rec = record(join(dir, 'x'));
    assert.equal(rec.runs.length, 6);
    assert.ok(rec.runs.every((r) => r.status === 'completed'), JSON.stringify(rec.runs.map((r) => r.status)));
    assert.deepEqual(tree(join(dir, 'x')).filter((f) => f.includes('lock') || f.endsWith('.tmp')), []);
    // resume: nothing left to train
    const before = statSync(join(dir, 'x', rec.runs[0]!.folder, 'metrics.bin')).mtimeMs;
    const again = cli(['train', 'e.mlp.json', '--out', 'x'], dir);
    assert.equal(again.status, 0, show(again));
    assert.match(again.stdout, /6 runs completed earlier \(same config\): kept/);
    assert.equal(statSync(join(dir, 'x', rec.runs[0]!.folder, 'metrics.bin')).mtimeMs, before);
    // another resolved config (more epochs): every run trains again
    const more = cli(['train', 'e.mlp.json', '--out', 'x', '--epochs', '2'], dir);
    assert.equal(more.status, 0, show(more));
    assert.equal(more.stdout.split('\n').filter((l) => l.startsWith('[')).length, 6);
    assert.ok(record(join(dir, 'x')).runs.every((r) => r.status === 'completed' && r.steps === 2 * 23));
  });

  test('Ctrl-C stops the runs in flight (exit 130); train again resumes the rest', async () => {
    const dir = setup({ seeds: 4, epochs: 60, layers: [64, 64] });
    const p = spawnCli(['train', 'e.mlp.json', '--out', 'x', '--jobs', '2'], dir);
    await p.lines(1);
    // a run in flight: its summary says "running" (runs of one config finish together, so the
    // workers may be between runs right after the first line)
    const out = join(dir, 'x');
    const inFlight = () => readdirSync(out).some((d) => {
      try {
        return JSON.parse(readFileSync(join(out, d, 'summary.json'), 'utf8')).status === 'running';
      } catch {
        return false;
      }
    });
    for (let t = 0; !inFlight(); t += 20) {
      assert.ok(t < 60_000, 'a run in flight within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted; the runs in flight are kept as "stopped"/);
    const statuses = record(join(dir, 'x')).runs.map((x) => x.status);
    assert.ok(statuses.includes('stopped') && statuses.includes('pending') && statuses.includes('completed'), statuses.join());
    assert.ok(!statuses.includes('running'));
    // the runs queued behind those in flight never started: pending, not failed
    assert.ok(!statuses.includes('failed'), statuses.join());
    const done = statuses.filter((s) => s === 'completed').length;
    const again = cli(['train', 'e.mlp.json', '--out', 'x', '--jobs', '2'], dir);
    assert.equal(again.status, 0, show(again));
    assert.match(again.stdout, new RegExp(`${done} runs? completed earlier`));
    assert.ok(record(join(dir, 'x')).runs.every((x) => x.status === 'completed'));
  });

  test('runs lists experiments and runs; export writes a CSV that parses back to the records exactly', async () => {
    const dir = setup({ seeds: 2, sweep: { lr: [0.05, 0.2] } });
    assert.equal(cli(['train', 'e.mlp.json', '--out', 'runs/exp'], dir).status, 0);
    writeFileSync(join(dir, 'p.mlp.json'), JSON.stringify({ ...base, variants: undefined }));
    assert.equal(cli(['train', 'p.mlp.json', '--out', 'runs/plain'], dir).status, 0);
    const list = cli(['runs', 'runs'], dir);
    assert.equal(list.status, 0, show(list));
    assert.match(list.stdout, /^small\s+experiment \(8 runs\)\s+completed\s+0\.\d{3}\s+\d+\s+\d{4}-/m);
    assert.match(list.stdout, /^plain\/base\s+run\s+completed/m);
    const json = JSON.parse(cli(['runs', 'runs', '--json'], dir).stdout) as { entries: { kind: string; name: string; runs?: number }[] };
    assert.deepEqual(json.entries.map((e) => [e.kind, e.name]), [['experiment', 'small'], ['run', 'plain/base']]);

    const ex = cli(['export', 'runs/exp', 'runs/plain', '--csv', 'out.csv'], dir);
    assert.equal(ex.status, 0, show(ex));
    const rows = parseCsv(readFileSync(join(dir, 'out.csv'), 'utf8'));
    const [head, ...body] = rows;
    assert.deepEqual(head, ['run', 'variant', 'seed', 'lr', 'step', 'epoch', 'layer', 'quantity', 'value']);
    assert.ok(body.every((r) => r.length === head!.length));
    // every recorded value, in the order the records hold them, against the CSV's rows
    const rec = record(join(dir, 'runs', 'exp'));
    const expected: string[][] = [];
    const runsToCheck = [...rec.runs.map((r) => ({ dir: join(dir, 'runs', 'exp', r.folder), id: [r.name, r.variant, String(r.seed), String(r.sweep.lr)] })),
      { dir: join(dir, 'runs', 'plain', 'base'), id: ['base', 'base', '0', ''] }];
    for (const r of runsToCheck) {
      await readCheckedRecords(r.dir, (steps: StepRecord[], epochs: EpochRecord[]) => {
        for (const s of steps) {
          for (const q of ['loss', 'accuracy', 'lr'] as const) expected.push([...r.id, String(s.step), String(s.epoch), '', q, String(s[q])]);
          for (const l of s.layers) {
            for (const q of ['saturation', 'mean', 'std', 'gradW', 'gradB', 'delta', 'updateRatio'] as const) {
              if (l[q] !== null) expected.push([...r.id, String(s.step), String(s.epoch), String(l.layer), q, String(l[q])]);
            }
          }
        }
        for (const e of epochs) {
          for (const [q, v] of [['train_loss', e.train.loss], ['train_accuracy', e.train.accuracy], ['test_loss', e.test!.loss], ['test_accuracy', e.test!.accuracy]] as const) {
            expected.push([...r.id, String(e.step), String(e.epoch), '', q, String(v)]);
          }
        }
      });
    }
    assert.equal(body.length, expected.length);
    body.forEach((row, k) => {
      assert.deepEqual(row.slice(0, -1), expected[k]!.slice(0, -1), `row ${k + 2}`);
      assert.equal(Number(row.at(-1)), Number(expected[k]!.at(-1)), `row ${k + 2}: the value reads back exactly`);
    });
    assert.ok(body.some((r) => r[0] === 'relu,"he" lr=0.05 seed=0'), 'a name with a comma and quotes survives');
  });

  test('bad experiment arguments: one line, exit 2, nothing trained', () => {
    const dir = setup({ seeds: 2 });
    for (const [args, message] of [
      [['--shard', '1/2'], /--shard needs --out DIR/],
      [['--out', 'o', '--shard', '3/2'], /--shard must be i\/n with 1 <= i <= n \(got '3\/2'\)/],
      [['--out', 'o', '--jobs', '0'], /--jobs must be an integer >= 1/],
      [['--report', 'r.html'], /--report is for configs without seeds or sweep/],
      [['--seed', '3'], /--seed cannot be used: the config lists its seeds/],
    ] as const) {
      const r = cli(['train', 'e.mlp.json', ...args], dir);
      assert.equal(r.status, 2, show(r));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    const plain = setup({}, base);
    const r = cli(['train', 'e.mlp.json', '--jobs', '2'], plain);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--jobs is for experiments: a config with "seeds" or "sweep"/);
    assert.ok(!existsSync(join(dir, '.mlp-lens')) && !existsSync(join(dir, 'o')));
  });
});
