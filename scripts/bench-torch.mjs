// npm run bench:torch: scripts/bench-torch.py with the python that imports torch (Debian's
// /usr/bin/python3 first), one thread for OpenMP and OpenBLAS unless the environment says otherwise.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const script = join(import.meta.dirname, 'bench-torch.py');
const env = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', ...process.env };
for (const py of ['/usr/bin/python3', 'python3']) {
  if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) continue;
  const r = spawnSync(py, [script, ...process.argv.slice(2)], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}
console.error("bench:torch: no python3 with torch (Debian: apt-get install python3-torch)");
process.exit(1);
