/**
 * DataIO for Node hosts (CLI, extension host, tests): user files from disk, shipped dataset
 * assets from media/datasets, gunzipped when their name ends in .gz.
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError, type DataIO } from '../engine/types';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** `baseDir`: folder that relative CSV paths start from (the config's); `assetDir`: media/datasets. */
export function nodeDataIO(baseDir: string, assetDir: string): DataIO {
  return {
    async readText(path: string): Promise<string> {
      const full = resolve(baseDir, path);
      try {
        return await fs.readFile(full, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const reason = REASONS[code] ?? (e as Error).message;
        const where = isAbsolute(path) ? '' : ` (looked for ${full})`;
        throw new InputError(`cannot read CSV file '${path}': ${reason}${where}`, path);
      }
    },
    async readAsset(name: string): Promise<Uint8Array> {
      if (basename(name) !== name || name.startsWith('.')) throw new Error(`bad dataset asset name '${name}'`);
      const full = join(assetDir, name);
      let bytes: Uint8Array;
      try {
        bytes = await fs.readFile(full);
      } catch (e) {
        throw new Error(`cannot read dataset asset '${name}' from ${assetDir}: ${(e as Error).message}`);
      }
      return name.endsWith('.gz') ? gunzipSync(bytes) : bytes;
    },
  };
}

/**
 * The shipped media/datasets folder: next to the bundle's parent (dist/../media/datasets), or
 * found by walking up from the bundle's folder, then from the working directory.
 */
export function findAssetDir(): string {
  const starts = [typeof __dirname === 'string' ? __dirname : undefined, process.cwd()];
  const tried: string[] = [];
  for (const start of starts) {
    if (!start) continue;
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'media', 'datasets');
      if (existsSync(join(candidate, 'digits.csv.gz'))) return candidate;
      tried.push(candidate);
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`cannot find the shipped datasets folder media/datasets (looked in ${tried.slice(0, 4).join(', ')}, ...)`);
}
