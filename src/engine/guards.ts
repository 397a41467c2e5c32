/** Shape checks for values parsed from JSON (configs, run records, webview messages). Pure. */

export type Obj = Record<string, unknown>;

/** A plain object: not null, not an array. */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An own property (not one inherited from Object.prototype, such as "constructor"). */
export const has = (o: Obj, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
