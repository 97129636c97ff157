/**
 * Installs kpath-test-ipam and its deliberately broken copies into a plugin directory. Each copy is the
 * same script with one rule broken, so a conformance test can show that exactly the violated check fails.
 */
import { chmodSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_PLUGIN = 'kpath-test-ipam';

/** Each broken copy's binary name, the rule it breaks, and the conformance check that must catch it. */
export const BROKEN_TEST_PLUGINS = [
  { type: 'kpath-test-ipam-bad-del', break: 'bad-del', caughtBy: 'C22', rule: 'a second DEL fails' },
  { type: 'kpath-test-ipam-bad-version-code', break: 'bad-version-code', caughtBy: 'C06', rule: 'an unsupported version gets code 7, not 1' },
  { type: 'kpath-test-ipam-no-prefix', break: 'no-prefix', caughtBy: 'C16', rule: 'result addresses lack the prefix length' },
  { type: 'kpath-test-ipam-version-omits', break: 'version-omits', caughtBy: 'C06', rule: 'VERSION omits 0.4.0, which it serves' },
] as const;

function source(): string {
  // The script sits beside this module in the checkout, and beside the compiled module's source folder.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, 'plugin.cjs'), join(here, '..', '..', '..', '..', 'topology', 'cni', 'testplugin', 'plugin.cjs')]) {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      continue;
    }
  }
  throw new Error('kpath-test-ipam: plugin.cjs not found beside install.ts');
}

/** Writes the plugin (and, with `broken`, its broken copies) into `dir`; returns the binary names. */
export function installTestPlugins(dir: string, broken = true): string[] {
  mkdirSync(dir, { recursive: true });
  const src = source();
  const all: Array<{ type: string; break: string }> = [{ type: TEST_PLUGIN, break: 'none' }, ...(broken ? BROKEN_TEST_PLUGINS : [])];
  for (const p of all) {
    const file = join(dir, p.type);
    writeFileSync(file, src.replace("'@BREAK@'", JSON.stringify(p.break)));
    chmodSync(file, 0o755);
  }
  return all.map((p) => p.type);
}
