/**
 * Strict UTF-8 for user files: a byte sequence that is not UTF-8 is an error naming its line and
 * column, never silently replaced (two Latin-1 labels would otherwise both become U+FFFD and
 * merge into one class). A leading byte-order mark is dropped.
 */
import { InputError } from '../types';

const strict = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or an InputError at the first byte that is not UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array, file: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = new TextDecoder().decode(bytes.subarray(lineStart, at)).length + 1;
    const hex = bytes[at]!.toString(16).padStart(2, '0');
    throw new InputError(`byte 0x${hex} at line ${line}, column ${column} is not UTF-8: save the file as UTF-8`, file, line, column);
  }
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence (-1: none). */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // no overlong forms
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}
