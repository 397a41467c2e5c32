/**
 * The interpreter of media/mlp-config.schema.json: the subset of draft-07 the schema uses (see
 * SCHEMA_KEYWORDS), with messages that say what is allowed. config.ts parses, resolves and adds
 * the rules beyond the schema; this file only judges a value against (a part of) the schema.
 */
import type { JSONPath, Node } from 'jsonc-parser';
import schemaJson from '../../media/mlp-config.schema.json';
import { has, isObj, type Obj } from './guards';
import { closest } from './nearest';
// ---------------------------------------------------------------------------------------------
// The schema interpreter

type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

export interface Schema {
  $ref?: string;
  type?: JsonType | JsonType[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  not?: Schema;
  /** message used when `not` matches (also understood by VS Code) */
  errorMessage?: string;
  default?: unknown;
  definitions?: Record<string, Schema>;
}

export const SCHEMA = schemaJson as unknown as Schema;

/** Keywords the interpreter implements; any other keyword in the schema must be an annotation. */
export const SCHEMA_KEYWORDS: readonly string[] = [
  '$ref', 'definitions', 'type', 'enum', 'const', 'properties', 'additionalProperties', 'required',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'minItems', 'maxItems',
  'items', 'oneOf', 'anyOf', 'not', 'errorMessage',
];

/** A problem found in the parsed value; positions are attached later from the syntax tree. */
export interface Problem {
  path: JSONPath;
  message: string;
  /** point at the property's key (unknown or forbidden property) or at the object (missing property) */
  at?: 'key' | 'object';
  warning?: boolean;
  /** an explicit node to point at (duplicate keys, which a path cannot tell apart) */
  node?: Node;
}

export const equal = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

const resolved = new Map<string, Schema>();

/** Follows local `$ref`s ("#/definitions/x"); each reference is looked up once (the side view validates on every edit). */
export function deref(s: Schema): Schema {
  for (let hops = 0; s.$ref !== undefined; hops++) {
    const ref = s.$ref;
    let target: unknown = resolved.get(ref);
    if (target === undefined) {
      if (!ref.startsWith('#/') || hops > 32) throw new Error(`mlp-config schema: unsupported $ref ${ref}`);
      target = SCHEMA;
      for (const part of ref.slice(2).split('/')) target = isObj(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      if (!isObj(target)) throw new Error(`mlp-config schema: unresolved $ref ${ref}`);
      resolved.set(ref, target as Schema);
    } else if (hops > 32) {
      throw new Error(`mlp-config schema: unsupported $ref ${ref}`);
    }
    s = target as Schema;
  }
  return s;
}

function hasType(v: unknown, type: JsonType | JsonType[]): boolean {
  const one = (t: JsonType): boolean =>
    t === 'integer' ? Number.isInteger(v)
    : t === 'array' ? Array.isArray(v)
    : t === 'object' ? isObj(v)
    : t === 'null' ? v === null
    : typeof v === t;
  return Array.isArray(type) ? type.some(one) : one(type);
}

const TYPE_NAMES: Record<JsonType, string> = {
  null: 'null', boolean: 'true or false', integer: 'an integer', number: 'a number',
  string: 'a string', array: 'an array', object: 'an object',
};
const typeName = (t: JsonType | JsonType[]): string => (Array.isArray(t) ? t : [t]).map((x) => TYPE_NAMES[x]).join(' or ');

/** A value as quoted in messages: primitives literally, containers by kind. */
function show(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isObj(v)) return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 37) + '...' : v);
  return String(v);
}
const names = (values: unknown[]): string => values.map((x) => (typeof x === 'string' ? x : show(x))).join(', ');

export function problems(s: Schema, v: unknown, path: JSONPath): Problem[] {
  const out: Problem[] = [];
  check(s, v, path, out);
  return out;
}

function check(schema: Schema, v: unknown, path: JSONPath, out: Problem[]): void {
  const s = deref(schema);
  if (s.not !== undefined && problems(s.not, v, path).length === 0) {
    out.push({ path, at: 'key', message: s.errorMessage ?? 'is not allowed here' });
  }
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) checkAlternatives(alternatives, s.oneOf !== undefined, v, path, out);
  if (s.type !== undefined && !hasType(v, s.type)) {
    out.push({ path, message: `must be ${typeName(s.type)} (got ${show(v)})` });
    return;
  }
  if (has(s as Obj, 'const') && !equal(v, s.const)) out.push({ path, message: `must be ${show(s.const)} (got ${show(v)})` });
  if (s.enum && !s.enum.some((e) => equal(e, v))) {
    const near = typeof v === 'string' ? closest(v, s.enum.filter((e): e is string => typeof e === 'string')) : undefined;
    out.push({ path, message: `must be one of ${names(s.enum)} (got ${show(v)})${near ? `; did you mean "${near}"?` : ''}` });
  }
  if (typeof v === 'number') checkRange(s, v, path, out);
  if (typeof v === 'string' && s.minLength !== undefined && v.length < s.minLength) {
    out.push({ path, message: s.minLength === 1 ? 'must not be empty' : `must have at least ${s.minLength} characters` });
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ path, message: `must have at least ${s.minItems} items (got ${v.length})` });
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path, message: `must have at most ${s.maxItems} items (got ${v.length})` });
    if (s.items) for (let i = 0; i < v.length; i++) check(s.items, v[i], [...path, i], out);
  }
  if (isObj(v)) {
    for (const k of s.required ?? []) if (!has(v, k)) out.push({ path, at: 'object', message: `missing required property "${k}"` });
    for (const [k, x] of Object.entries(v)) {
      const p = s.properties && has(s.properties, k) ? s.properties[k] : undefined;
      if (p) check(p, x, [...path, k], out);
      else if (s.additionalProperties === false) out.push({ path: [...path, k], at: 'key', message: unknownProperty(k, s) });
      else if (isObj(s.additionalProperties)) check(s.additionalProperties, x, [...path, k], out);
    }
  }
}

function checkRange(s: Schema, v: number, path: JSONPath, out: Problem[]): void {
  const bounds: [number | undefined, string, boolean][] = [
    [s.minimum, '>=', v >= (s.minimum ?? -Infinity)],
    [s.exclusiveMinimum, '>', v > (s.exclusiveMinimum ?? -Infinity)],
    [s.maximum, '<=', v <= (s.maximum ?? Infinity)],
    [s.exclusiveMaximum, '<', v < (s.exclusiveMaximum ?? Infinity)],
  ];
  if (bounds.every(([, , ok]) => ok)) return;
  const range = bounds.filter(([b]) => b !== undefined).map(([b, op]) => `${op} ${b}`).join(' and ');
  out.push({ path, message: `must be ${range} (got ${v})` });
}

/** Properties a user may write in an object (not the forbidden `not` ones). */
const allowedProperties = (s: Schema): string[] =>
  Object.entries(s.properties ?? {}).filter(([, p]) => deref(p).not === undefined).map(([k]) => k);

function unknownProperty(key: string, s: Schema): string {
  const allowed = allowedProperties(s);
  const near = closest(key, allowed);
  return `unknown property "${key}"${near ? ` (did you mean "${near}"?)` : ''}; allowed: ${allowed.join(', ')}`;
}

/**
 * oneOf/anyOf: one message that explains the likely intended form instead of every branch's failure.
 * The form is chosen by JSON type, then (for objects) by the discriminator property ("type", "scheme").
 */
function checkAlternatives(alts: Schema[], exactlyOne: boolean, v: unknown, path: JSONPath, out: Problem[]): void {
  const results = alts.map((a) => problems(a, v, path));
  const passed = results.filter((r) => r.length === 0).length;
  if (passed === 1 || (passed > 1 && !exactlyOne)) return;
  if (passed > 1) {
    out.push({ path, message: `matches ${passed} of the allowed forms; expected exactly one` });
    return;
  }
  const fits = alts.map((_, i) => i).filter((i) => typeFits(alts[i], v));
  const objectHint = typeof v === 'string' ? objectFormFor(alts, v) : undefined;
  if (fits.length === 0) {
    out.push({ path, message: `must be ${objectHint ? `an object ${objectHint}` : describeAlternatives(alts)} (got ${show(v)})` });
    return;
  }
  if (fits.length === 1) {
    const s = deref(alts[fits[0]]);
    if (objectHint && s.enum) out.push({ path, message: `must be one of ${names(s.enum)}, or an object ${objectHint} (got ${show(v)})` });
    else out.push(...results[fits[0]]);
    return;
  }
  const d = discriminator(fits.map((i) => alts[i]));
  if (d && isObj(v)) {
    if (!has(v, d.key)) {
      out.push({ path, at: 'object', message: `missing required property "${d.key}" (one of ${names(d.values)})` });
      return;
    }
    const hit = fits.find((i) => discriminatorValues(alts[i], d.key).some((x) => equal(x, v[d.key])));
    if (hit !== undefined) out.push(...results[hit]);
    else {
      const got = v[d.key];
      const near = typeof got === 'string' ? closest(got, d.values.filter((x): x is string => typeof x === 'string')) : undefined;
      out.push({ path: [...path, d.key], message: `must be one of ${names(d.values)} (got ${show(got)})${near ? `; did you mean "${near}"?` : ''}` });
    }
    return;
  }
  // no discriminator: explain the form that came closest
  out.push(...results[fits.reduce((best, i) => (results[i].length < results[best].length ? i : best))]);
}

/** Could `v` be meant as this form, judging by its JSON type alone? */
export function typeFits(a: Schema, v: unknown): boolean {
  const s = deref(a);
  if (s.type !== undefined) return hasType(v, s.type);
  const values = s.enum ?? (has(s as Obj, 'const') ? [s.const] : undefined);
  return !values || values.some((x) => typeof x === typeof v && Array.isArray(x) === Array.isArray(v));
}

export function discriminatorValues(a: Schema, key: string): unknown[] {
  const p = deref(a).properties?.[key];
  if (!p) return [];
  const s = deref(p);
  return s.enum ?? (has(s as Obj, 'const') ? [s.const] : []);
}

/** The property every object form pins to constants ("type" for optimizers, "scheme" for init). */
export function discriminator(alts: Schema[]): { key: string; values: unknown[] } | undefined {
  const objects = alts.filter((a) => deref(a).type === 'object');
  if (objects.length < 2 || objects.length !== alts.length) return undefined;
  for (const key of Object.keys(deref(objects[0]).properties ?? {})) {
    const values = objects.map((a) => discriminatorValues(a, key));
    if (values.every((x) => x.length > 0)) return { key, values: values.flat() };
  }
  return undefined;
}

/** '{ "type": "step", ... }' when the string `v` names an object form (e.g. schedule "step"). */
function objectFormFor(alts: Schema[], v: string): string | undefined {
  const d = discriminator(alts.filter((a) => deref(a).type === 'object'));
  return d?.values.includes(v) ? `{ "${d.key}": "${v}", ... }` : undefined;
}

/** "one of sgd, momentum, adam, or an object { "type": "sgd" | "momentum" | "adam", ... }" */
function describeAlternatives(alts: Schema[]): string {
  const forms = alts.map(deref);
  const enums = forms.filter((s) => s.enum);
  const objects = forms.filter((s) => s.type === 'object');
  const parts = enums.length ? [`one of ${names(enums.flatMap((s) => s.enum ?? []))}`] : [];
  for (const s of forms) {
    if (s.type === 'array') parts.push(s.items && enums.includes(deref(s.items)) ? 'an array of those' : 'an array');
    else if (s.type !== undefined && s.type !== 'object' && !s.enum) parts.push(typeName(s.type));
  }
  if (objects.length) {
    const d = discriminator(objects);
    parts.push(d ? `an object { "${d.key}": ${d.values.map((x) => JSON.stringify(x)).join(' | ')}, ... }` : 'an object');
  }
  return parts.join(', or ');
}

