/**
 * Delegation (spec §4; pkg/invoke): a plugin runs another plugin — bridge its IPAM, flannel its
 * bridge — found by type in CNI_PATH, with this call's environment, the given verb, and stdin.
 * A delegate that is one of kpath's own installed launchers runs in-process (same protocol, no
 * process start); any other executable is spawned, as libcni's invoke does.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findInPath } from '../path.js';
import { CniError, ERR, fail } from './errors.js';
import { parseResult, type CniResult } from './result.js';
import type { CniCommand, PluginContext, PluginOutput } from './skel.js';

/** A line every launcher written by `kpath cni install` carries. */
export const LAUNCHER_MARK = '// kpath-cni-launcher';

export function findPlugin(type: string, cniPath: readonly string[]): string {
  if (type === '') fail('no plugin name provided');
  if (type.includes('/')) fail(`invalid plugin name: ${type}`);
  return findInPath(type, cniPath) ?? fail(`failed to find plugin "${type}" in path [${cniPath.join(' ')}]`);
}

function isKpathLauncher(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').slice(0, 400).includes(LAUNCHER_MARK);
  } catch {
    return false;
  }
}

/** Runs the delegate; returns its output (exit status and stdout as it printed them). */
export function execDelegate(type: string, command: CniCommand, stdin: string, ctx: PluginContext, builtin: (type: string, env: Record<string, string | undefined>, stdin: string) => PluginOutput | null): PluginOutput {
  const path = findPlugin(type, ctx.cniPath);
  const env = { ...ctx.env, CNI_COMMAND: command };
  if (isKpathLauncher(path)) {
    const out = builtin(type, env, stdin);
    if (out !== null) return out;
  }
  const r = spawnSync(path, [], { input: stdin, env: env as NodeJS.ProcessEnv, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error !== undefined) fail(`netplugin failed: ${r.error.message}`);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.status ?? 1 };
}

/** A failed delegate's error, as libcni hands it back (its code and message kept). */
export function delegateError(out: PluginOutput): CniError {
  if (out.stdout.trim() === '') return new CniError(ERR.internal, `netplugin failed with no error message: exit status ${out.code}`);
  try {
    const o = JSON.parse(out.stdout) as Record<string, unknown>;
    return new CniError(typeof o['code'] === 'number' ? o['code'] : ERR.internal, typeof o['msg'] === 'string' ? o['msg'] : '', typeof o['details'] === 'string' ? o['details'] : '');
  } catch (e) {
    return new CniError(ERR.internal, `netplugin failed but error parsing its diagnostic message "${out.stdout}": ${(e as Error).message}`);
  }
}

export function delegateAdd(type: string, stdin: string, ctx: PluginContext): CniResult {
  const out = ctx.invoke(type, 'ADD', stdin, ctx);
  if (out.code !== 0) throw delegateError(out);
  let obj: unknown;
  try {
    obj = JSON.parse(out.stdout);
  } catch (e) {
    throw new CniError(ERR.decodingFailure, `decoding the result of ${type}: ${(e as Error).message}`);
  }
  return parseResult(obj, ctx.version);
}

export function delegateVerb(type: string, command: CniCommand, stdin: string, ctx: PluginContext): void {
  const out = ctx.invoke(type, command, stdin, ctx);
  if (out.code !== 0) throw delegateError(out);
}
