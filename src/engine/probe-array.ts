/**
 * ProbeArray: a probe's own float64 buffer, in a file of its own so that the network (which hands
 * out views of its memory as ProbeArrays) and the probes (which measure the network) both import
 * it without importing each other.
 */

/**
 * A probe's own float64 buffer (histogram counts, per-unit saturation) that serializes to JSON as
 * a plain list, as the record's number[] would. A record filled in place for a transient sink
 * (RecordSink.transientSteps) holds these buffers themselves instead of copies: its numbers are
 * the step's until the next step overwrites them, as the record's other numbers are.
 */
export class ProbeArray extends Float64Array {
  toJSON(): number[] {
    return plain(this);
  }
}

/** A plain array copy of a typed array (a plain loop: Array.from's iterator is several times slower). */
export function plain(a: ArrayLike<number>): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]!;
  return out;
}
