/**
 * `kpath cni install DIR`: one executable per plugin type, as a runtime's CNI bin directory
 * (/opt/cni/bin) holds them. Each is a small Node launcher that imports this installation's
 * plugin entry point by absolute path:
 * - from a built package (dist/, an npm install or a built checkout): the compiled .js;
 * - from a checkout run through tsx (no build): the .ts source, loaded with tsx's ESM hook.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LAUNCHER_MARK, PLUGIN_TYPES } from './plugins/index.js';

export interface InstallOptions {
  /** Which entry point launchers import: auto (this module's own kind), dist or source. */
  from?: 'auto' | 'dist' | 'source';
  /** Only these types (default: all). */
  types?: readonly string[];
}

function entryPoint(from: 'auto' | 'dist' | 'source'): { path: string; ts: boolean } {
  const here = fileURLToPath(import.meta.url);
  const runningTs = here.endsWith('.ts');
  const pluginsDir = join(dirname(here), 'plugins');
  if (from === 'source' || (from === 'auto' && runningTs)) {
    // From dist/topology/cni/ the sources sit three levels up plus the same path.
    const src = runningTs ? join(pluginsDir, 'registry.ts') : resolve(dirname(here), '..', '..', '..', 'topology', 'cni', 'plugins', 'registry.ts');
    return { path: src, ts: true };
  }
  const dist = runningTs ? resolve(dirname(here), '..', '..', 'dist', 'topology', 'cni', 'plugins', 'registry.js') : join(pluginsDir, 'registry.js');
  if (!existsSync(dist)) throw new Error(`${dist}: not built; run \`npm run build\` first (or install with --from source)`);
  return { path: dist, ts: false };
}

export function launcherText(type: string, opts: InstallOptions = {}): string {
  const ep = entryPoint(opts.from ?? 'auto');
  const lines = ['#!/usr/bin/env node', LAUNCHER_MARK, `// The kpath CNI plugin "${type}"; see \`kpath cni --help\`.`];
  if (ep.ts) {
    const tsxApi = import.meta.resolve('tsx/esm/api');
    lines.push(`const { register } = await import(${JSON.stringify(tsxApi)});`, 'register();');
  }
  lines.push(`const { pluginMain } = await import(${JSON.stringify(pathToFileURL(ep.path).href)});`, `await pluginMain(${JSON.stringify(type)});`, '');
  return lines.join('\n');
}

/** Writes the launchers; returns their paths. */
export function installPlugins(dir: string, opts: InstallOptions = {}): string[] {
  const types = opts.types ?? PLUGIN_TYPES;
  for (const t of types) if (!PLUGIN_TYPES.includes(t)) throw new Error(`unknown plugin type "${t}": expected one of ${PLUGIN_TYPES.join(', ')}`);
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const t of types) {
    const p = join(dir, t);
    writeFileSync(p, launcherText(t, opts), { mode: 0o755 });
    chmodSync(p, 0o755);
    out.push(p);
  }
  return out;
}
