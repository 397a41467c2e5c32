/**
 * Which experiment folder a restored Experiment panel may show (after a window reload, its
 * WebviewPanelSerializer gets the webview's saved state back). The state is the webview's, so
 * untrusted: its folder is accepted only when it is an experiment folder the host lists itself,
 * directly inside one of the Runs view's folders (src/host/run-roots.ts), not leading out of it
 * through a link, and holding an experiment.json that reads as one. Nothing outside those
 * folders is read. No vscode import (unit-tested).
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { quote } from '../../engine/types';
import { realRoot } from '../../runs/read';
import { readExperimentFile } from '../../runs/run-list';
import { parseExperimentState } from '../validate-message';

export type Restorable = { ok: true; folder: string; name: string } | { ok: false; reason: string; closeQuietly?: boolean };

/** A folder's name for a message: its last part, quoted as every untrusted name is (quote). */
export function shownName(folder: string): string {
  return quote(folder.split(/[\\/]/).filter(Boolean).pop() ?? '');
}

/** The experiment a saved state names, if the host offers that folder (see the file's comment). */
export async function restorableExperiment(state: unknown, roots: readonly string[]): Promise<Restorable> {
  const parsed = parseExperimentState(state);
  // a panel closed before its first view has no folder in its state: nothing to restore, nothing to say
  if (!parsed.ok) return { ok: false, reason: parsed.reason, closeQuietly: parsed.reason === 'no saved state' || parsed.reason === 'the saved state names no experiment folder' };
  const folder = path.resolve(parsed.msg.folder);
  const root = roots.map((r) => path.resolve(r)).find((r) => path.dirname(folder) === r && folder !== r);
  if (!root) return { ok: false, reason: `${shownName(folder)} is not an experiment folder in the run folders MLP Lens lists` };
  let realFolder: string, realParent: string;
  try {
    realParent = await fsp.realpath(root);
    realFolder = await realRoot(folder);
  } catch {
    return { ok: false, reason: `its folder ${shownName(folder)} is gone` };
  }
  if (path.dirname(realFolder) !== realParent) return { ok: false, reason: `${shownName(folder)} leads outside its run folder` };
  try {
    const rec = await readExperimentFile(folder, realFolder);
    return { ok: true, folder, name: rec.name };
  } catch (e) {
    return { ok: false, reason: `${shownName(folder)} holds no readable experiment.json (${(e as Error).message.slice(0, 200)})` };
  }
}
