/**
 * The exec protocol as the reference plugins' `skel` package runs it (spec/cni.md §1.6): read the
 * environment, read and minimally validate the config, check the version for the verb, dispatch,
 * and print the result or the error. Plugins are functions of (env, stdin) → (stdout, exit code);
 * nothing survives the call except what they write to the emulated host and to disk.
 *
 * kpath follows the newer skel (CNI library ≥ 1.2) where it differs from the 1.1.1 binaries:
 * GC and STATUS exist for 1.1.0 configs, and container variables are only checked for the verbs
 * that need them (deviation D4 of spec/cni.md §14).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EmulatedHost, KPATH_CNI_HOST_ENV } from '../host/index.js';
import { CniError, ERR, formatError } from './errors.js';
import { parseResult, resultForVersion, type CniResult } from './result.js';
import { atLeast, compareVersions, configVersion, parseVersion, SUPPORTED_VERSIONS } from './version.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';

export type CniEnv = Record<string, string | undefined>;

export interface PluginOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs another plugin (a delegate) with this call's environment and the given verb and stdin. */
export type Invoke = (type: string, command: CniCommand, stdin: string, ctx: PluginContext) => PluginOutput;

export interface PluginContext {
  env: CniEnv;
  command: CniCommand;
  /** Raw stdin bytes (delegates get them unchanged). */
  stdin: string;
  conf: Record<string, unknown>;
  name: string;
  version: string;
  containerId: string;
  netns: string;
  ifname: string;
  cniArgs: string;
  cniPath: string[];
  invoke: Invoke;
  /** The emulated host (opened on first use). */
  host(): EmulatedHost;
  /** The host directory, for defaults of paths (IPAM dataDir, flannel's subnet.env). */
  hostDir(): string;
}

export interface CniPlugin {
  type: string;
  add(ctx: PluginContext): CniResult;
  del(ctx: PluginContext): void;
  check(ctx: PluginContext): void;
  gc?(ctx: PluginContext): void;
  status?(ctx: PluginContext): void;
}

/** The default host directory when neither KPATH_CNI_HOST nor the config's kpathHost names one. */
export function defaultHostDir(env: CniEnv): string {
  const base = env['XDG_STATE_HOME'] !== undefined && env['XDG_STATE_HOME'] !== '' ? env['XDG_STATE_HOME'] : join(env['HOME'] ?? homedir(), '.local', 'state');
  return join(base, 'kpath', 'cni-host');
}

const REQUIRED: Record<CniCommand, string[]> = {
  ADD: ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  CHECK: ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH'],
  DEL: ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH'],
  GC: ['CNI_COMMAND', 'CNI_PATH'],
  STATUS: ['CNI_COMMAND'],
  VERSION: ['CNI_COMMAND'],
};

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function validateContainerId(id: string): void {
  if (id === '') throw new CniError(ERR.unknownContainer, 'missing containerID');
  if (!ID_RE.test(id)) throw new CniError(ERR.invalidEnvironmentVariables, 'invalid characters in containerID', id);
}

export function validateInterfaceName(n: string): void {
  if (n === '') throw new CniError(ERR.invalidEnvironmentVariables, 'interface name is empty');
  if (Buffer.byteLength(n) > 15) throw new CniError(ERR.invalidEnvironmentVariables, 'interface name is too long', 'interface name should be less than 16 characters');
  if (n === '.' || n === '..') throw new CniError(ERR.invalidEnvironmentVariables, 'interface name is . or ..');
  if (/[/:\s]/.test(n)) throw new CniError(ERR.invalidEnvironmentVariables, 'interface name contains / or : or whitespace characters');
}

export function validateNetworkName(n: unknown): string {
  if (typeof n !== 'string' || n === '') throw new CniError(ERR.invalidNetworkConfig, 'missing network name');
  if (!ID_RE.test(n)) throw new CniError(ERR.invalidNetworkConfig, 'invalid characters found in network name', n);
  return n;
}

/** Go's encoding/json wording for the usual failures, so messages read like the real plugins'. */
export function goJsonError(text: string, e: Error): string {
  if (text.trim() === '' || /end of (JSON )?input|Unterminated|Unexpected end/i.test(e.message)) return 'unexpected end of JSON input';
  const m = /position (\d+)/.exec(e.message);
  const at = m === null ? 0 : Number(m[1]);
  const c = text[at] ?? '';
  return `invalid character '${c}' looking for beginning of value`;
}

function versionList(): string {
  return `[${SUPPORTED_VERSIONS.map((v) => JSON.stringify(v)).join(' ')}]`;
}

function checkVersion(v: string): void {
  parseVersion(v);
  if (!SUPPORTED_VERSIONS.some((s) => compareVersions(s, v) === 0)) {
    throw new CniError(ERR.incompatibleCniVersion, 'incompatible CNI versions', `config is "${v}", plugin supports ${versionList()}`);
  }
}

function about(type: string): string {
  return `CNI ${type} plugin kpath\nCNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}\n`;
}

export function versionReply(): string {
  return JSON.stringify({ cniVersion: SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1], supportedVersions: SUPPORTED_VERSIONS }) + '\n';
}

function isCommand(c: string): c is CniCommand {
  return c === 'ADD' || c === 'DEL' || c === 'CHECK' || c === 'VERSION' || c === 'GC' || c === 'STATUS';
}

/** One plugin call through the exec protocol. Never throws. */
export function runSkel(plugin: CniPlugin, env: CniEnv, stdin: string, invoke: Invoke): PluginOutput {
  let version: string | null = null;
  try {
    const cmd = env['CNI_COMMAND'] ?? '';
    if (cmd === '') return { stdout: '', stderr: about(plugin.type), code: 0 };
    const required = isCommand(cmd) ? REQUIRED[cmd] : ['CNI_COMMAND'];
    const missing = required.filter((k) => (env[k] ?? '') === '');
    if (missing.length > 0) throw new CniError(ERR.invalidEnvironmentVariables, `required env variables [${missing.join(',')}] missing`);
    if (cmd === 'VERSION') return { stdout: versionReply(), stderr: '', code: 0 };
    let conf: unknown;
    try {
      conf = JSON.parse(stdin);
    } catch (e) {
      throw new CniError(ERR.decodingFailure, `error unmarshall network config: ${goJsonError(stdin, e as Error)}`);
    }
    if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) {
      throw new CniError(ERR.decodingFailure, `error unmarshall network config: json: cannot unmarshal ${Array.isArray(conf) ? 'array' : typeof conf} into Go value of type types.NetConf`);
    }
    const c = conf as Record<string, unknown>;
    const name = validateNetworkName(c['name']);
    if (!isCommand(cmd)) throw new CniError(ERR.invalidEnvironmentVariables, `unknown CNI_COMMAND: ${cmd}`);
    if (cmd === 'ADD' || cmd === 'DEL' || cmd === 'CHECK') {
      validateContainerId(env['CNI_CONTAINERID'] ?? '');
      validateInterfaceName(env['CNI_IFNAME'] ?? '');
    }
    const v = configVersion(c);
    if (typeof c['cniVersion'] === 'string') version = c['cniVersion'];
    if (cmd === 'CHECK' && !atLeast(v, '0.4.0')) throw new CniError(ERR.incompatibleCniVersion, 'config version does not allow CHECK');
    if ((cmd === 'GC' || cmd === 'STATUS') && !atLeast(v, '1.1.0')) throw new CniError(ERR.incompatibleCniVersion, `config version does not allow ${cmd}`);
    checkVersion(v);
    let hostObj: EmulatedHost | null = null;
    const hostDir = () => {
      const fromConf = typeof c['kpathHost'] === 'string' && c['kpathHost'] !== '' ? (c['kpathHost'] as string) : null;
      return env[KPATH_CNI_HOST_ENV] || fromConf || defaultHostDir(env);
    };
    const ctx: PluginContext = {
      env,
      command: cmd,
      stdin,
      conf: c,
      name,
      version: v,
      containerId: env['CNI_CONTAINERID'] ?? '',
      netns: env['CNI_NETNS'] ?? '',
      ifname: env['CNI_IFNAME'] ?? '',
      cniArgs: env['CNI_ARGS'] ?? '',
      cniPath: (env['CNI_PATH'] ?? '').split(':').filter((p) => p !== ''),
      invoke,
      host: () => (hostObj ??= EmulatedHost.open(hostDir())),
      hostDir,
    };
    switch (cmd) {
      case 'ADD': {
        const r = plugin.add(ctx);
        return { stdout: JSON.stringify(resultForVersion(r, v), null, 4), stderr: '', code: 0 };
      }
      case 'DEL':
        plugin.del(ctx);
        return { stdout: '', stderr: '', code: 0 };
      case 'CHECK':
        plugin.check(ctx);
        return { stdout: '', stderr: '', code: 0 };
      case 'GC':
        plugin.gc?.(ctx);
        return { stdout: '', stderr: '', code: 0 };
      case 'STATUS':
        plugin.status?.(ctx);
        return { stdout: '', stderr: '', code: 0 };
      case 'VERSION':
        return { stdout: versionReply(), stderr: '', code: 0 };
    }
  } catch (e) {
    const err = e instanceof CniError ? e : new CniError(ERR.internal, (e as Error).message ?? String(e));
    return { stdout: formatError(err, version), stderr: '', code: 1 };
  }
}

/** The prevResult of the request, in the internal form, or null. */
export function prevResultOf(ctx: PluginContext): CniResult | null {
  const p = ctx.conf['prevResult'];
  if (p === undefined || p === null) return null;
  return parseResult(p, ctx.version);
}
