import * as fs from 'node:fs';

/** Write JSON to a temporary file and rename it over `file`: a reader never sees half of it. */
export function writeJsonAtomic(file: string, value: unknown, indent: number | undefined = 2): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, indent) + '\n');
  fs.renameSync(tmp, file);
}
