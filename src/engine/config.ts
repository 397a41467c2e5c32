/**
 * Experiment config files (*.mlp.json): JSONC parsing, validation with precise positions, and
 * resolution into the ResolvedConfig objects the trainer consumes.
 *
 * media/mlp-config.schema.json is the one source of truth. The editor uses it for completion and
 * hovers; this module interprets the same file (the subset of draft-07 it uses: see
 * SCHEMA_KEYWORDS), takes the defaults from it, and adds the semantic checks a schema cannot
 * express (unique variant names, one activation per layer, ...).
 */
// The ESM build: esbuild cannot follow the UMD build's runtime require('./impl/...') for Node targets.
import { getNodePath, getNodeValue, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { JSONPath, Node, ParseError } from 'jsonc-parser';
import { scanConfigText } from './config-scan';
import { deref, discriminator, discriminatorValues, equal, problems, SCHEMA, typeFits, type Problem, type Schema } from './config-schema';
import { has, isObj, type Obj } from './guards';
import { formatJsonPath, lineStarts as lineStartsOf, textRange } from './inspect/paths';
import { combinationCount, combinations, isExperimentConfig, MAX_RUNS, MAX_SEED, runCount, seedList, sweepAxes, type Combination } from './experiment-grid';
import { configFitProblem } from './limits';
import { closest } from './nearest';
import { InputError } from './types';
import type { DatasetSpec, HiddenActivation, InitSpec, OptimizerSpec, ProbeSpec, ResolvedConfig, ScheduleSpec } from './types';

export interface ConfigIssue {
  /** JSON path of the offending value, like $.optimizer.lr or $.variants[1].activation ('' for syntax errors) */
  path: string;
  /** what is wrong and what is allowed */
  message: string;
  /** 1-based start and (exclusive) end of the offending text */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning';
  /** syntax: not JSON(C); schema: breaks mlp-config.schema.json; semantic: a rule beyond the schema */
  kind: 'syntax' | 'schema' | 'semantic';
}


export { SCHEMA_KEYWORDS } from './config-schema';
// ---------------------------------------------------------------------------------------------
// Parsing and positions

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the property name",
  CommaExpected: "expected ','",
  CloseBraceExpected: "expected ',' or '}'",
  CloseBracketExpected: "expected ',' or ']'",
  EndOfFileExpected: 'expected the end of the file (only one top-level value is allowed)',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: "unterminated comment: expected '*/'",
  UnexpectedEndOfString: 'unterminated string: expected a closing \'"\'',
  UnexpectedEndOfNumber: 'incomplete number',
  InvalidUnicode: 'invalid \\u escape in string',
  InvalidEscapeCharacter: 'invalid escape sequence in string',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

interface Parsed {
  value: unknown;
  tree: Node | undefined;
  lineStarts: number[];
  syntax: ConfigIssue[];
}

/** The schema's maxItems for the array at `path` (through $refs, and the array form of a oneOf). */
function maxItemsAt(path: JSONPath): number | undefined {
  let s: Schema | undefined = SCHEMA;
  const forms = (x: Schema): Schema[] => [x, ...(x.oneOf ?? x.anyOf ?? []).map(deref)];
  for (const seg of path) {
    const here = forms(deref(s));
    s = typeof seg === 'number' ? here.find((f) => f.items)?.items : here.find((f) => f.properties && has(f.properties, seg))?.properties?.[seg];
    if (!s) return undefined;
  }
  return forms(deref(s)).find((f) => f.maxItems !== undefined)?.maxItems;
}

function parse(text: string): Parsed {
  // depth and lengths first, by a linear scan: the parser recurses, and parses every item
  const over = scanConfigText(text, maxItemsAt);
  if (over) {
    const lineStarts = lineStartsOf(text);
    const issue: ConfigIssue = { path: formatJsonPath(over.path), message: over.message, ...textRange(lineStarts, over.offset, over.end), severity: 'error', kind: 'schema' };
    return { value: undefined, tree: undefined, lineStarts, syntax: [issue] };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const lineStarts = lineStartsOf(text);
  const syntax = errors.map((e): ConfigIssue => {
    const code = printParseErrorCode(e.error);
    const token = text.slice(e.offset, e.offset + e.length);
    const found = !/Expected$/.test(code) ? '' : token ? ` but found ${token.length > 20 ? token.slice(0, 17) + '...' : token}` : ' but found the end of the file';
    const unquoted = /^['A-Za-z_]/.test(token) ? ': property names and strings need double quotes' : '';
    const message = (code === 'InvalidSymbol' && token ? `unexpected ${token}${unquoted}` : SYNTAX_MESSAGES[code] ?? code) + found;
    return { path: '', message, ...textRange(lineStarts, e.offset, e.offset + Math.max(e.length, 1)), severity: 'error', kind: 'syntax' };
  });
  // getNodeValue builds null-prototype objects: hand out plain ones
  const value: unknown = tree && !syntax.length ? JSON.parse(JSON.stringify(getNodeValue(tree))) : undefined;
  return { value, tree, lineStarts, syntax };
}

/** Like jsonc-parser's findNodeAtLocation, but a duplicated key resolves to its last occurrence, as values do. */
function nodeAt(root: Node, path: JSONPath): Node | undefined {
  let node: Node | undefined = root;
  for (const seg of path) {
    const children: Node[] = node?.children ?? [];
    if (typeof seg === 'number') node = node?.type === 'array' ? children[seg] : undefined;
    else node = node?.type === 'object' ? [...children].reverse().find((p) => p.children?.[0]?.value === seg)?.children?.[1] : undefined;
  }
  return node;
}

function toIssue(p: Problem, parsed: Parsed, kind: ConfigIssue['kind']): ConfigIssue {
  let node = p.node;
  for (let path = p.path; !node && parsed.tree; path = path.slice(0, -1)) node = nodeAt(parsed.tree, path);
  let [start, end] = node ? [node.offset, node.offset + node.length] : [0, 0];
  const key = node?.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
  if (key && node !== key && p.at) [start, end] = [key.offset, key.offset + key.length];
  else if (p.at === 'object') end = start + 1;
  return { path: formatJsonPath(p.path), message: p.message, ...textRange(parsed.lineStarts, start, end), severity: p.warning ? 'warning' : 'error', kind };
}

/** Later duplicates win (as in JSON.parse); warn at the ones that are ignored. */
function duplicateKeys(node: Node, out: Problem[]): void {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of [...(node.children ?? [])].reverse()) {
      const [key, value] = prop.children ?? [];
      if (!key || !value) continue;
      if (seen.has(key.value)) out.push({ path: getNodePath(value), node: key, warning: true, message: `duplicate property "${key.value}": only the last one counts` });
      seen.add(key.value);
    }
  }
  for (const child of node.children ?? []) duplicateKeys(child, out);
}

// ---------------------------------------------------------------------------------------------
// Resolution: defaults come from the schema

const ADAM_DEFAULT_LR = 0.001;
const BUILTIN_CLASSES: Record<string, number> = { digits: 10, mnist: 10, iris: 3, wine: 3 };

const defaultOf = (key: string): unknown => deref(SCHEMA.properties![key]).default;

/** "adam" -> { type: "adam" }; objects pass through. */
const objectForm = (v: unknown, key: string): Obj => (isObj(v) ? v : { [key]: v });

/** `v` with the schema defaults of its object form filled in (the oneOf branch matching its discriminator). */
function withDefaults(key: string, v: Obj): Obj {
  let s = deref(SCHEMA.definitions![key]);
  const forms = (s.oneOf ?? s.anyOf)?.filter((a) => typeFits(a, v));
  const d = forms && discriminator(forms);
  if (forms) s = deref((d && forms.find((a) => discriminatorValues(a, d.key).some((x) => equal(x, v[d.key])))) || forms[0]);
  const out: Obj = {};
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    const value = has(v, k) ? v[k] : deref(p).default;
    if (value !== undefined) out[k] = value;
  }
  return out;
}

/**
 * One run's config: the base, then the variant's fields, then the sweep combination's (each
 * replaces the field whole). `seed`: the run's seed (experiments), else the config's.
 */
export function resolveRun(cfg: Obj, variant: Obj | undefined, file: string, swept: Obj = {}, seed?: number): ResolvedConfig {
  const raw: Obj = { ...cfg, ...variant, ...swept };
  const get = (k: string): unknown => (has(raw, k) ? raw[k] : defaultOf(k));
  const layers = [...(raw.layers as number[])];
  const activation = get('activation') as HiddenActivation | HiddenActivation[];
  // InitSpec and OptimizerSpec carry every parameter: take the unused ones from their forms' defaults
  const init = {
    ...withDefaults('init', { scheme: 'normal' }),
    ...withDefaults('init', { scheme: 'uniform' }),
    ...withDefaults('init', objectForm(get('init'), 'scheme')),
  } as unknown as InitSpec;
  const optimizer = {
    ...withDefaults('optimizer', { type: 'momentum' }),
    ...withDefaults('optimizer', { type: 'adam' }),
    ...withDefaults('optimizer', objectForm(get('optimizer'), 'type')),
  } as unknown as OptimizerSpec;
  return {
    name: typeof cfg.name === 'string' ? cfg.name : fileStem(file),
    variant: typeof variant?.name === 'string' ? variant.name : 'base',
    dataset: withDefaults('dataset', raw.dataset as Obj) as unknown as DatasetSpec,
    layers,
    activation: typeof activation === 'string' ? layers.map(() => activation) : [...activation],
    leakyReluSlope: get('leakyReluSlope') as number,
    output: get('output') as ResolvedConfig['output'],
    init,
    optimizer,
    lr: has(raw, 'lr') ? (raw.lr as number) : optimizer.type === 'adam' ? ADAM_DEFAULT_LR : (defaultOf('lr') as number),
    schedule: withDefaults('schedule', objectForm(get('schedule'), 'type')) as unknown as ScheduleSpec,
    batchSize: get('batchSize') as number,
    epochs: get('epochs') as number,
    seed: seed ?? (get('seed') as number),
    probes: withDefaults('probes', isObj(raw.probes) ? raw.probes : {}) as unknown as ProbeSpec,
  };
}

function fileStem(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.mlp\.json$/i, '').replace(/\.jsonc?$/i, '') || base;
}

// ---------------------------------------------------------------------------------------------
// Semantic checks: rules the schema cannot express, on each resolved variant

/**
 * The rules of an experiment's grid (seeds and sweep, on a schema-valid config): no duplicate
 * seed or sweep value, seeds within range, an empty sweep, at most MAX_RUNS runs. Returns the
 * sweep's combinations, each to be checked as a variant is (one empty combination without a
 * sweep, or when the grid is refused: then the base values are checked).
 */
function experimentProblems(cfg: Obj, out: Problem[]): Combination[] {
  const none: Combination[] = [{ values: {}, index: {} }];
  if (!isExperimentConfig(cfg)) {
    if (has(cfg, 'seedData')) out.push({ path: ['seedData'], at: 'key', warning: true, message: 'has no effect: the config has no seeds or sweep' });
    return none;
  }
  const duplicates = (list: unknown[], path: JSONPath, what: string) => {
    list.forEach((v, j) => {
      const first = list.findIndex((x) => equal(x, v));
      if (first < j) out.push({ path: [...path, j], message: `${what} ${formatJsonPath([...path, first])}: each run would train twice; list every value once` });
    });
  };
  if (Array.isArray(cfg.seeds)) duplicates(cfg.seeds, ['seeds'], 'the same seed as');
  const seeds = seedList(cfg);
  if (typeof cfg.seeds === 'number' && seeds[seeds.length - 1]! > MAX_SEED) {
    out.push({ path: ['seeds'], message: `${cfg.seeds} seeds from seed ${seeds[0]} go past ${MAX_SEED}, the largest seed; lower "seed" or the count` });
  }
  const axes = sweepAxes(cfg);
  if (isObj(cfg.sweep) && axes.length === 0) out.push({ path: ['sweep'], at: 'key', message: 'sweeps no field: list the values of at least one field, e.g. "lr": [0.01, 0.1]' });
  for (const [field, values] of axes) duplicates(values, ['sweep', field], 'the same value as');
  const runs = runCount(cfg);
  if (runs > MAX_RUNS) {
    const variants = Array.isArray(cfg.variants) && cfg.variants.length ? cfg.variants.length : 1;
    const parts = `${variants} variant${variants > 1 ? 's' : ''} x ${combinationCount(axes)} sweep combination${combinationCount(axes) > 1 ? 's' : ''} x ${seeds.length} seed${seeds.length > 1 ? 's' : ''}`;
    out.push({ path: has(cfg, 'sweep') ? ['sweep'] : ['seeds'], at: 'key', message: `the experiment has ${runs.toLocaleString('en-US')} runs (${parts}); at most ${MAX_RUNS.toLocaleString('en-US')} are allowed` });
    return none;
  }
  return combinations(axes);
}

function semanticProblems(cfg: unknown, schemaProblems: Problem[], file: string): Problem[] {
  const out: Problem[] = [];
  if (!isObj(cfg)) return out;
  const variants = Array.isArray(cfg.variants) ? cfg.variants : [];

  const firstWithName = new Map<string, number>();
  variants.forEach((v, i) => {
    if (!isObj(v) || typeof v.name !== 'string') return;
    const j = firstWithName.get(v.name);
    if (j === undefined) firstWithName.set(v.name, i);
    else out.push({ path: ['variants', i, 'name'], message: `duplicate variant name "${v.name}" (variants[${j}] has it too); names must be unique` });
  });

  // Each remaining check looks at one resolved variant; findings at the same place are merged.
  if (schemaProblems.some((p) => p.path[0] !== 'variants')) return out;
  const found = new Map<string, Problem & { variants: string[] }>();
  let baseSlopeUsed = false;
  let allChecked = true;
  const runs: [Obj | undefined, number][] = variants.length ? variants.map((v, i) => [v as Obj, i]) : [[undefined, -1]];
  const grid = experimentProblems(cfg, out);
  for (const [variant, i] of runs) {
    if (schemaProblems.some((p) => p.path[1] === i)) {
      allChecked = false;
      continue;
    }
    const own = (k: string) => variant !== undefined && has(variant, k);
    let variantUsesLeaky = false;
    for (const combo of grid) {
      const r = resolveRun(cfg, variant, file, combo.values);
      /** where field k of this run comes from: the sweep, the variant, the base config, or (a default) the variant itself */
      const from = (k: string): JSONPath =>
        has(combo.index, k) ? ['sweep', k, combo.index[k]!] : own(k) ? ['variants', i, k] : has(cfg, k) ? [k] : variant ? ['variants', i] : [];
      const report = (path: JSONPath, message: string, warning = false) => {
        const key = `${formatJsonPath(path)} ${message}`;
        const entry = found.get(key) ?? { path, message, warning, variants: [] };
        if (variant && !entry.variants.includes(r.variant)) entry.variants.push(r.variant);
        found.set(key, entry);
      };

      if (r.activation.length !== r.layers.length) {
        const swept = (k: string) => has(combo.index, k);
        const blameLayers = swept('layers') ? !swept('activation') : !own('activation') && own('layers');
        const at = blameLayers ? from('layers') : from('activation');
        const n = r.layers.length;
        report(at, `activation lists ${r.activation.length} functions but layers has ${n} hidden layer${n === 1 ? '' : 's'}; give one per layer, or one name for all`);
      }
      const ds = r.dataset as { type: string; classes?: number };
      const classes = BUILTIN_CLASSES[ds.type] ?? ds.classes;
      if (r.output === 'sigmoid' && classes !== undefined && classes !== 2) {
        report(from('output'), `output "sigmoid" is a single unit for 2 classes, but dataset "${ds.type}" has ${classes} classes; use "softmax"`);
      }
      const usesLeaky = r.activation.includes('leaky_relu');
      if (usesLeaky) variantUsesLeaky = true;
      if (!own('leakyReluSlope') && !has(combo.index, 'leakyReluSlope') && usesLeaky) baseSlopeUsed = true;

      if (r.activation.length === r.layers.length) {
        const fit = configFitProblem(r);
        if (fit) report(from('layers'), `the network ${fit}`);
      }
      const schedule = valueAt(from('schedule'), cfg);
      if (r.schedule.type === 'step' && r.schedule.every >= r.epochs) {
        const at = isObj(schedule) && has(schedule, 'every') ? [...from('schedule'), 'every'] : from('schedule');
        report(at, `the learning rate never decays: it steps every ${r.schedule.every} epochs but training runs ${r.epochs}`, true);
      }
      if (r.schedule.type === 'cosine' && r.schedule.minLr >= r.lr) {
        const at = isObj(schedule) && has(schedule, 'minLr') ? [...from('schedule'), 'minLr'] : from('schedule');
        report(at, `minLr ${r.schedule.minLr} is not below lr ${r.lr}: the learning rate never decreases`, true);
      }
    }
    if (own('leakyReluSlope') && !has(grid[0]!.index, 'leakyReluSlope') && !variantUsesLeaky) {
      const key = `variants ${i} slope`;
      found.set(key, { path: ['variants', i, 'leakyReluSlope'], message: 'has no effect: no hidden layer uses leaky_relu', warning: true, variants: [variant!.name as string] });
    }
    for (const k of Object.keys(grid[0]!.index)) {
      if (own(k)) out.push({ path: ['variants', i, k], at: 'key', warning: true, message: `has no effect: the sweep sets ${k} in every run (a swept value replaces the variant's)` });
    }
  }
  if (has(cfg, 'leakyReluSlope') && !baseSlopeUsed && allChecked) {
    const message = variants.length ? 'has no effect: no variant that inherits it uses leaky_relu' : 'has no effect: no hidden layer uses leaky_relu';
    out.push({ path: ['leakyReluSlope'], message, warning: true });
  }
  for (const p of found.values()) {
    const who = p.variants.length ? `${p.variants.length > 1 ? 'variants' : 'variant'} ${p.variants.map((n) => JSON.stringify(n)).join(', ')}: ` : '';
    out.push({ path: p.path, message: who + p.message, warning: p.warning });
  }
  return out;
}

function valueAt(path: JSONPath, v: unknown): unknown {
  for (const s of path) v = isObj(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[s] : undefined;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Public API

function analyze(text: string, file: string): { parsed: Parsed; issues: ConfigIssue[] } {
  const parsed = parse(text);
  if (parsed.syntax.length) return { parsed, issues: parsed.syntax };
  const schemaProblems = problems(SCHEMA, parsed.value, []);
  const semantic = semanticProblems(parsed.value, schemaProblems, file);
  if (parsed.tree) duplicateKeys(parsed.tree, semantic);
  const issues = [
    ...schemaProblems.map((p) => toIssue(p, parsed, 'schema')),
    ...semantic.map((p) => toIssue(p, parsed, 'semantic')),
  ].sort((a, b) => a.line - b.line || a.column - b.column);
  return { parsed, issues };
}

function issuesError(file: string, issues: ConfigIssue[]): InputError {
  const [first] = issues;
  const more = issues.length - 1;
  const tail = more ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : '';
  return new InputError((first.path ? `${first.path}: ` : '') + first.message + tail, file, first.line, first.column);
}

/** Parses JSONC (comments and trailing commas allowed); a syntax error throws an InputError with its position. */
export function parseConfigText(text: string, file: string): unknown {
  const parsed = parse(text);
  if (parsed.syntax.length) throw issuesError(file, parsed.syntax);
  return parsed.value;
}

/** Every problem in a config text, in document order: syntax errors alone, else schema and semantic issues. */
export function validateConfig(text: string, file: string): ConfigIssue[] {
  return analyze(text, file).issues;
}

/** The parsed config, when it has no error; throws an InputError (the first error, and how many more) otherwise. */
export function parseValidConfig(text: string, file: string): Obj {
  const { parsed, issues } = analyze(text, file);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length) throw issuesError(file, errors);
  return parsed.value as Obj;
}

/**
 * One ResolvedConfig per variant ("base" without variants), defaults filled; throws an InputError
 * if invalid. An experiment's (seeds, sweep) variants come with the first value of each swept
 * field and the first seed: the whole grid is experiment.ts's resolveExperiment.
 */
export function resolveConfig(text: string, file: string): ResolvedConfig[] {
  return resolveParsed(parseValidConfig(text, file), file);
}

/**
 * validateConfig, and when it finds no error, also parseConfigText and resolveConfig of the same
 * text, from one parse and one validation (the side view does all three on every edit).
 */
export function checkConfig(text: string, file: string): { issues: ConfigIssue[]; config?: Obj; resolved?: ResolvedConfig[] } {
  const { parsed, issues } = analyze(text, file);
  if (issues.some((i) => i.severity === 'error')) return { issues };
  const config = parsed.value as Obj;
  return { issues, config, resolved: resolveParsed(config, file) };
}

function resolveParsed(cfg: Obj, file: string): ResolvedConfig[] {
  const variants = (cfg.variants ?? []) as Obj[];
  const first = combinations(sweepAxes(cfg).map(([k, vs]) => [k, vs.slice(0, 1)]))[0]!.values;
  const seed = isExperimentConfig(cfg) ? seedList(cfg)[0] : undefined;
  return variants.length ? variants.map((v) => resolveRun(cfg, v, file, first, seed)) : [resolveRun(cfg, undefined, file, first, seed)];
}

/** "file:line:col: $.path: message", as compilers print it (the severity is the caller's to show). */
export function formatIssue(file: string, issue: ConfigIssue): string {
  return `${file}:${issue.line}:${issue.column}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** Command-line overrides: pick one variant, and/or replace the training seed or epochs of all. */
export function withOverrides(cfgs: ResolvedConfig[], o: { seed?: number; epochs?: number; variant?: string }): ResolvedConfig[] {
  let picked = cfgs;
  if (o.variant !== undefined) {
    picked = cfgs.filter((c) => c.variant === o.variant);
    if (!picked.length) {
      const all = cfgs.map((c) => c.variant);
      const near = closest(o.variant, all);
      throw new InputError(`unknown variant "${o.variant}"${near ? ` (did you mean "${near}"?)` : ''}; the config has: ${all.join(', ')}`);
    }
  }
  for (const key of ['seed', 'epochs'] as const) {
    const p = o[key] === undefined ? [] : problems(SCHEMA.properties![key], o[key], []);
    if (p.length) throw new InputError(`--${key} ${p[0].message}`);
  }
  return picked.map((c) => ({ ...c, seed: o.seed ?? c.seed, epochs: o.epochs ?? c.epochs }));
}
