/**
 * Which of a config's problems the Train command puts in Problems itself, so that each problem
 * shows once. Two others report on a config already:
 * - VS Code's JSON language service checks an open *.mlp.json against our schema (jsonValidation
 *   in package.json binds it): syntax and schema problems, unless the user turned
 *   `json.validate.enable` off. The validator's 'schema' issues are those of the same schema
 *   (tested with ajv), so showing ours too would say everything twice.
 * - The inspector (src/sideview/controller.ts) reports the semantic ones of the config it follows.
 * What neither reports (a config trained from disk, not open) stays ours, all of it.
 *
 * Pure: no vscode or node imports.
 */
import type { ConfigIssue } from '../engine/config';

export interface OtherReporters {
  /** the JSON language service checks this document now (open, *.mlp.json, validation on) */
  jsonService: boolean;
  /** the inspector follows this document and reports its semantic problems */
  inspector: boolean;
}

/** The issues no other reporter shows. */
export function issuesToReport(issues: ConfigIssue[], others: OtherReporters): ConfigIssue[] {
  return issues.filter((i) => (i.kind === 'semantic' ? !others.inspector : !others.jsonService));
}

/**
 * The glob of config file names, in any case: jsonValidation's fileMatch in package.json (VS Code's
 * JSON language service matches fileMatch case-sensitively, so the case-insensitivity is spelled
 * out) and the CodeLens selector. The languages contribution keeps "*.mlp.json": VS Code matches
 * filenamePatterns against the lower-cased name.
 */
export const CONFIG_FILE_GLOB = '*.[mM][lL][pP].[jJ][sS][oO][nN]';

/**
 * Does jsonValidation's fileMatch (CONFIG_FILE_GLOB) bind our schema to a file of this path (or
 * name)? That is what makes a file an MLP Lens config everywhere: the inspector, the CodeLens, New
 * Experiment Config, Train MLP's config in view.
 */
export const schemaBound = (file: string): boolean => /\.mlp\.json$/i.test(file);
