/**
 * `kpath cni install DIR`: one executable per plugin type, as a runtime's CNI bin directory
 * (/opt/cni/bin) holds them. Each is a small Node launcher that imports this installation's
 * plugin entry point by absolute path:
 * - from a built package (dist/, an npm install or a built checkout): the compiled .js;
 * - from a checkout run through tsx (no build): the .ts source, loaded with tsx's ESM hook.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LAUNCHER_MARK, PLUGIN_TYPES } from './plugins/index.js';

export interface InstallOptions {
  /** Which entry point launchers import: auto (this module's own kind), dist or source. */
  from?: 'auto' | 'dist' | 'source';
  /** Only these types (default: all). */
  types?: readonly string[];
}

/**
 * Whether the compiled tree (dist/, made by `npm run build` and by `npm ci`'s prepare) is at least
 * as new as every TypeScript source: then a launcher started from the sources may load the compiled
 * plugins, which start several times faster than through a TypeScript loader.
 */
function distIsFresh(root: string): boolean {
  const built = join(root, 'dist', 'topology', 'cni', 'plugins', 'registry.js');
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const newer = (dir: string): boolean => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (newer(p)) return true;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && statSync(p).mtimeMs > builtAt) return true;
    }
    return false;
  };
  return !['datapath', 'modes', 'topology'].some((d) => existsSync(join(root, d)) && newer(join(root, d)));
}

function entryPoint(requested: 'auto' | 'dist' | 'source'): { path: string; ts: boolean } {
  let from = requested;
  const here = fileURLToPath(import.meta.url);
  const runningTs = here.endsWith('.ts');
  const pluginsDir = join(dirname(here), 'plugins');
  if (from === 'auto' && runningTs && distIsFresh(resolve(dirname(here), '..', '..'))) from = 'dist';
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
