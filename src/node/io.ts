/**
 * DataIO for Node hosts (CLI, extension host, tests): user files from disk, shipped dataset
 * assets from media/datasets, gunzipped when their name ends in .gz.
 */
import { constants, existsSync, promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeUtf8Strict } from '../engine/datasets/utf8';
import { InputError, type DataIO } from '../engine/types';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is not a folder',
};

/** The largest user file (CSV, config) read: far past what the engine trains on in memory. */
export const MAX_USER_FILE_BYTES = 256 * 1024 * 1024;

/** The largest config file read: a config is a few kilobytes. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/**
 * Runs `read` on `full` opened as a regular file, without blocking on what is not one: opened
 * non-blocking (a FIFO does not wait for a writer) and checked by fstat on the open file (a
 * symlink is followed to what it names: a device, FIFO or folder is refused before a byte is
 * read). Every failure is an InputError naming `shown` and what is allowed.
 */
async function withRegularFile<T>(full: string, shown: string, what: string, read: (handle: fs.FileHandle, size: number) => Promise<T>): Promise<T> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(full, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await handle.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new InputError(`cannot read ${what} '${shown}': it is ${kind}; a regular file is required`, shown);
    }
    return await read(handle, st.size);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new InputError(`cannot read ${what} '${shown}': ${REASONS[code] ?? (e as Error).message}`, shown);
  } finally {
    await handle?.close();
  }
}

/**
 * The bytes of a regular file (see withRegularFile) of at most `maxBytes`: its size checked
 * before anything is allocated, and never more than `maxBytes` read even if it grows meanwhile.
 */
export function readRegularFile(full: string, shown: string, what: string, maxBytes = MAX_USER_FILE_BYTES): Promise<Uint8Array> {
  return withRegularFile(full, shown, what, async (handle, size) => {
    if (size > maxBytes) throw new InputError(`cannot read ${what} '${shown}': it is ${mib(size)}; the limit is ${mib(maxBytes)}`, shown);
    const buf = new Uint8Array(size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) throw new InputError(`cannot read ${what} '${shown}': it grew while being read; the limit is ${mib(maxBytes)}`, shown);
    }
    return buf.subarray(0, n);
  });
}

/** `baseDir`: folder that relative CSV paths start from (the config's); `assetDir`: media/datasets. */
export function nodeDataIO(baseDir: string, assetDir: string): DataIO {
  return {
    async readText(path: string): Promise<string> {
      const full = resolve(baseDir, path);
      let bytes: Uint8Array;
      try {
        bytes = await readRegularFile(full, path, 'CSV file');
      } catch (e) {
        const where = isAbsolute(path) || !(e instanceof InputError) || !/no such file/.test(e.message) ? '' : ` (looked for ${full})`;
        throw where ? new InputError(`${(e as Error).message}${where}`, path) : e;
      }
      return decodeUtf8Strict(bytes, path);
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

/** The first `maxBytes` bytes of a regular file (see withRegularFile; its header line, say), whatever its size. */
export function readFileHead(full: string, shown: string, what: string, maxBytes: number): Promise<Uint8Array> {
  return withRegularFile(full, shown, what, async (handle, size) => {
    const buf = new Uint8Array(Math.min(maxBytes, size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  });
}
