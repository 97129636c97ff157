/**
 * Entry points: a fixture file, directory or text → ClusterModel.
 *
 * A directory holds .yaml/.yml files read in name order (byte-wise, as `ls` in the C locale), all
 * forming one cluster. Every failure is a FixtureError with a location; I/O errors on the named path
 * become one at line 1.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FixtureError } from '../k8s/errors.js';
import { emptyFixtureObjects, readFixtureText } from '../k8s/documents.js';
import { resolveClusterModel } from './resolve.js';
import type { ClusterModel } from './types.js';

const isYaml = (n: string): boolean => n.endsWith('.yaml') || n.endsWith('.yml');
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function ioError(path: string, e: unknown): FixtureError {
  const msg = e instanceof Error ? e.message : String(e);
  return new FixtureError(path, 1, 1, '', `expected a readable fixture file or directory, got: ${msg}`);
}

/** Parses fixture text (all documents of one file). `file` names it in messages. */
export function parseClusterModel(text: string, file = '<fixture>'): ClusterModel {
  const objs = emptyFixtureObjects();
  readFixtureText(text, file, objs);
  return resolveClusterModel(objs, file);
}

/** Several files' texts, in the given order, as one cluster. */
export function parseClusterModelFiles(files: readonly { file: string; text: string }[]): ClusterModel {
  const objs = emptyFixtureObjects();
  for (const f of files) readFixtureText(f.text, f.file, objs);
  return resolveClusterModel(objs, files[0]?.file ?? '<fixture>');
}

/** Loads a fixture file or a directory of them. */
export async function loadClusterModel(path: string): Promise<ClusterModel> {
  let files: { file: string; text: string }[];
  try {
    const st = await stat(path);
    if (st.isDirectory()) {
      const names = (await readdir(path)).filter(isYaml).sort(byName);
      if (names.length === 0) throw new Error('a directory without .yaml or .yml files');
      files = await Promise.all(names.map(async (n) => ({ file: join(path, n), text: await readFile(join(path, n), 'utf8') })));
    } else {
      files = [{ file: path, text: await readFile(path, 'utf8') }];
    }
  } catch (e) {
    throw ioError(path, e);
  }
  return parseClusterModelFiles(files);
}

/** loadClusterModel without the event loop (for CLIs and tests that stay synchronous). */
export function loadClusterModelSync(path: string): ClusterModel {
  let files: { file: string; text: string }[];
  try {
    if (statSync(path).isDirectory()) {
      const names = readdirSync(path).filter(isYaml).sort(byName);
      if (names.length === 0) throw new Error('a directory without .yaml or .yml files');
      files = names.map((n) => ({ file: join(path, n), text: readFileSync(join(path, n), 'utf8') }));
    } else {
      files = [{ file: path, text: readFileSync(path, 'utf8') }];
    }
  } catch (e) {
    throw ioError(path, e);
  }
  return parseClusterModelFiles(files);
}
