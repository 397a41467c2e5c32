/**
 * Writing run records: every write goes out whole or fails with a RecordWriteError whose message
 * is one line for the user ("disk full writing <file>"). For tests, MLP_LENS_FAULT_WRITE_BYTES=N
 * makes these writes fail with ENOSPC once N bytes have been written by the process (the write
 * that crosses N writes its first bytes, as a real full disk does, then fails);
 * MLP_LENS_FAULT_WRITE_FILE=NAME limits that to the files of that name (e.g. metrics.jsonl: the
 * summary can still be written, as on a real disk where cutting back the torn line frees room).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export class RecordWriteError extends Error {
  constructor(readonly file: string, readonly code: string, message: string) {
    super(message);
    this.name = 'RecordWriteError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'input/output error',
  EFBIG: 'file too large',
};

/** The RecordWriteError for `e` (an fs error) while writing `file`. */
export function writeFailure(file: string, e: unknown): RecordWriteError {
  if (e instanceof RecordWriteError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const reason = REASONS[code];
  return new RecordWriteError(file, code, reason ? `${reason} writing ${file}` : `cannot write ${file}: ${(e as Error).message}`);
}

const envBudget = Number(process.env.MLP_LENS_FAULT_WRITE_BYTES);
let budget: number | null = process.env.MLP_LENS_FAULT_WRITE_BYTES && Number.isFinite(envBudget) ? envBudget : null;
let faultFile: string | null = process.env.MLP_LENS_FAULT_WRITE_FILE || null;

/** Tests: writes (of files named `file`, or all) fail with ENOSPC after `bytes` more bytes (null: never). */
export function setWriteFault(bytes: number | null, file: string | null = null): void {
  budget = bytes;
  faultFile = file;
}

/**
 * The bytes of a write of `n` bytes to `file` the injected fault lets through, and whether the
 * write then fails (MLP_LENS_FAULT_WRITE_BYTES); without a fault, all of them.
 */
function allowance(n: number, file: string): { allowed: number; fault: boolean } {
  let allowed = n;
  let fault = false;
  if (budget !== null && (faultFile === null || path.basename(file).startsWith(faultFile))) {
    if (budget < allowed) {
      allowed = Math.max(0, budget);
      fault = true;
    }
    budget -= allowed;
  }
  return { allowed, fault };
}

const injected = () => Object.assign(new Error('ENOSPC: no space left on device, write (injected by MLP_LENS_FAULT_WRITE_BYTES)'), { code: 'ENOSPC' });

/**
 * Writes all of `data` at the file's position (looping over short writes), or throws the fs
 * error. `file`: the path written, for the injected fault's file filter.
 */
export function writeAllSync(fd: number, data: string | Uint8Array, file = ''): number {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const { allowed, fault } = allowance(buf.length, file);
  let off = 0;
  while (off < allowed) off += fs.writeSync(fd, buf, off, allowed - off);
  if (fault) throw injected();
  return buf.length;
}

/**
 * Writes buf[0, n) at `position` of the file, synchronously, or throws the fs error with the
 * bytes written so far as `written` (a short write of a full disk).
 */
export function pwriteAllSync(fd: number, buf: Uint8Array, n: number, position: number, file: string): void {
  const { allowed, fault } = allowance(n, file);
  let off = 0;
  try {
    while (off < allowed) off += fs.writeSync(fd, buf, off, allowed - off, position + off);
  } catch (e) {
    throw Object.assign(e as Error, { written: off });
  }
  if (fault) throw Object.assign(injected(), { written: off });
}

/**
 * Writes buf[0, n) at `position` of the file on libuv's thread pool (looping over short writes),
 * then calls `done(error, written)`: written the bytes that reached the file.
 */
export function pwriteAll(fd: number, buf: Uint8Array, n: number, position: number, file: string, done: (e: Error | null, written: number) => void): void {
  const { allowed, fault } = allowance(n, file);
  let off = 0;
  const next = (e: Error | null, wrote: number): void => {
    if (e) return done(e, off);
    off += wrote;
    if (off < allowed) return void fs.write(fd, buf, off, allowed - off, position + off, next);
    done(fault ? injected() : null, off);
  };
  if (allowed === 0) return void process.nextTick(() => done(fault ? injected() : null, 0));
  fs.write(fd, buf, 0, allowed, position, next);
}
