import * as fs from 'node:fs';
import { writeAllSync } from './faults';

/**
 * Write JSON to a temporary file and rename it over `file`: a reader never sees half of it. A
 * write that fails (a full disk) removes the temporary file and throws the fs error.
 */
export function writeJsonAtomic(file: string, value: unknown, indent: number | undefined = 2): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    try {
      writeAllSync(fd, JSON.stringify(value, null, indent) + '\n', file);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // gone already
    }
    throw e;
  }
}
