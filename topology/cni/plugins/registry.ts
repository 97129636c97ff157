/**
 * kpath's CNI plugins by type, and the entry point every launcher and `kpath cni exec` calls.
 * Delegates that resolve to kpath launchers run in-process through the same entry point.
 */
import { bridge } from './bridge.js';
import { execDelegate } from './delegate.js';
import { flannel } from './flannel.js';
import { hostLocal } from './host-local.js';
import { loopback } from './loopback.js';
import { portmap } from './portmap.js';
import { ptp } from './ptp.js';
import { runSkel, type CniEnv, type CniPlugin, type Invoke, type PluginOutput } from './skel.js';

export const PLUGINS: ReadonlyMap<string, CniPlugin> = new Map(
  [bridge, hostLocal, loopback, portmap, ptp, flannel].map((p) => [p.type, p]),
);

export const PLUGIN_TYPES: readonly string[] = [...PLUGINS.keys()];

const invoke: Invoke = (type, command, stdin, ctx) => execDelegate(type, command, stdin, ctx, (t, env, input) => {
  const p = PLUGINS.get(t);
  return p === undefined ? null : runSkel(p, env, input, invoke);
});

/** Runs plugin `type` with the exec protocol: environment and stdin in, stdout and exit code out. */
export function runPlugin(type: string, env: CniEnv, stdin: string): PluginOutput {
  const p = PLUGINS.get(type);
  if (p === undefined) {
    return { stdout: JSON.stringify({ code: 999, msg: `unknown plugin type "${type}"`, details: `kpath provides ${PLUGIN_TYPES.join(', ')}` }, null, 4), stderr: '', code: 1 };
  }
  return runSkel(p, env, stdin, invoke);
}

/** The launcher's main: read stdin, run, write stdout/stderr, set the exit code. */
export async function pluginMain(type: string): Promise<void> {
  const chunks: Buffer[] = [];
  if (process.env['CNI_COMMAND'] !== 'VERSION' && (process.env['CNI_COMMAND'] ?? '') !== '') {
    for await (const c of process.stdin) chunks.push(c as Buffer);
  }
  const out = runPlugin(type, process.env, Buffer.concat(chunks).toString('utf8'));
  if (out.stderr !== '') process.stderr.write(out.stderr);
  process.stdout.write(out.stdout, () => process.exit(out.code));
}

export type { PluginOutput };
