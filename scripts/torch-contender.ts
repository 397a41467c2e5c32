/**
 * PyTorch on the CPU as a contender of `npm run bench -- --torch`: scripts/torch-contender.py run by
 * Debian's python3 (python3-torch), one process per thread count and OpenBLAS setting, asked for
 * timed runs in JSON lines (see there). Not part of the product.
 *
 * OpenBLAS settings: as this process's environment sets them ("env": OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE passed on), and with both unset ("best": OpenBLAS then picks the best kernels
 * the CPU has, AVX-512 where there is). When the environment sets no OPENBLAS_CORETYPE, "env" is
 * the same as "best": OPENBLAS_CORETYPE=Haswell (AVX2 kernels) is measured in its place.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';

export const TORCH_PYTHON = '/usr/bin/python3';

/** Why PyTorch cannot be measured here, or null when it can. */
export function torchProblem(): string | null {
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${TORCH_PYTHON} did not start (${r.error.message})`;
  if (r.status !== 0) return `${TORCH_PYTHON} cannot import torch (Debian's python3-torch is not installed?): ${r.stderr.trim().split('\n').at(-1)}`;
  return null;
}

export type OpenBlasKind = 'env' | 'best' | 'haswell';

export interface TorchSetup { sizes: number[]; batch: number; activation: string; lr: number; samples: number }

export class TorchContender {
  private readonly child: ChildProcessWithoutNullStreams;
  private buf = '';
  private readonly waiting: ((v: Record<string, unknown>) => void)[] = [];
  private failed: Error | null = null;
  private stderr = '';
  readonly ready: Promise<Record<string, unknown>>;

  constructor(readonly threads: 1 | 2, readonly blas: OpenBlasKind) {
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OMP_WAIT_POLICY: 'PASSIVE' };
    if (blas !== 'env') { delete env.OPENBLAS_CORETYPE; delete env.OPENBLAS_L2_SIZE; }
    if (blas === 'haswell') env.OPENBLAS_CORETYPE = 'Haswell';
    this.child = spawn(TORCH_PYTHON, [path.join(__dirname, '..', 'scripts', 'torch-contender.py')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.child.stdout.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.waiting.shift()?.(JSON.parse(line) as Record<string, unknown>);
      }
    });
    this.child.on('exit', (code) => {
      this.failed = new Error(`torch-contender.py exited (${code}): ${this.stderr}`);
      for (const w of this.waiting.splice(0)) w({ error: this.failed.message });
    });
    this.ready = new Promise((resolve) => this.waiting.push(resolve));
  }

  get name(): string {
    const blas = this.blas === 'best' ? 'best kernels' : this.blas === 'haswell' ? 'OPENBLAS_CORETYPE=Haswell' : `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE}`;
    return `torch ${this.threads === 1 ? '1 thread' : '2 threads'}, ${blas}`;
  }

  private async ask(msg: object): Promise<Record<string, unknown>> {
    await this.ready;
    if (this.failed) throw this.failed;
    const p = new Promise<Record<string, unknown>>((resolve) => this.waiting.push(resolve));
    this.child.stdin.write(JSON.stringify(msg) + '\n');
    const r = await p;
    if (r.error) throw new Error(String(r.error));
    return r;
  }

  async setup(s: TorchSetup): Promise<void> {
    await this.ask({ cmd: 'setup', ...s });
  }

  async run(seconds: number): Promise<number> {
    return (await this.ask({ cmd: 'run', seconds })).samplesPerSecond as number;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** The contenders to run: one and two threads, with the environment's OpenBLAS kernels and the best. */
export function torchContenders(twoThreads: boolean): TorchContender[] {
  const envKind: OpenBlasKind = process.env.OPENBLAS_CORETYPE ? 'env' : 'haswell';
  const out: TorchContender[] = [];
  for (const threads of twoThreads ? [1, 2] as const : [1] as const) {
    out.push(new TorchContender(threads, envKind), new TorchContender(threads, 'best'));
  }
  return out;
}
