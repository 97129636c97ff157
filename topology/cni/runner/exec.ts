/**
 * The exec protocol, runtime side (spec §2; libcni pkg/invoke): find the plugin binary in the CNI_PATH
 * directories, run it with CNI_* variables added to the runner's own environment, the request on stdin,
 * and read the result or the error object from stdout.
 */
import { spawn } from 'node:child_process';
import { findInPath } from '../path.js';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';

/** The CNI_* parameters of one call; undefined = not set at all (an empty string is set but empty). */
export interface CniEnv {
  command: string | undefined;
  containerId?: string | undefined;
  netns?: string | undefined;
  ifname?: string | undefined;
  args?: string | undefined;
  path?: string | undefined;
}

/** What one process run produced, before any interpretation. */
export interface ExecOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Prepended to the command line, e.g. `['ip', 'netns', 'exec', 'host-ns']` to run in another netns. */
  prefix?: string[];
  /** Extra variables on top of process.env (e.g. KPATH_CNI_HOST). */
  extraEnv?: Record<string, string>;
  timeoutMs?: number;
  /**
   * Runs the plugin in this process instead of spawning it: given the binary's path, the full
   * environment and stdin, return what the process would have printed and its exit code. Used when
   * kpath wires its own clusters with its own plugins (same protocol, no process start-up).
   */
  inProcess?: (file: string, env: Record<string, string>, stdin: string) => { stdout: string; stderr: string; code: number };
}

/** An error object a plugin printed (spec §5 Error), or one the runner made when there was none. */
export class CniPluginError extends Error {
  override name = 'CniPluginError';
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly details: string | undefined,
    readonly outcome?: ExecOutcome,
  ) {
    super(details !== undefined && details !== '' ? `${msg}; ${details}` : msg);
  }
  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = { code: this.code, msg: this.msg };
    if (this.details !== undefined && this.details !== '') o.details = this.details;
    return o;
  }
}

/** Raised by the runner itself (plugin not found, bad configuration file, cache trouble). */
export class CniRuntimeError extends Error {
  override name = 'CniRuntimeError';
}

const CNI_VARS: ReadonlyArray<[keyof CniEnv, string]> = [
  ['command', 'CNI_COMMAND'],
  ['containerId', 'CNI_CONTAINERID'],
  ['netns', 'CNI_NETNS'],
  ['ifname', 'CNI_IFNAME'],
  ['args', 'CNI_ARGS'],
  ['path', 'CNI_PATH'],
];

/** Splits a CNI_PATH value (`:`-separated on Linux); empty entries are ignored as libcni does. */
export function splitCniPath(path: string): string[] {
  return path.split(':').filter((p) => p !== '');
}

/** libcni FindInPath: the first directory holding an executable regular file named `type` wins. */
export function findPlugin(type: string, dirs: readonly string[]): string {
  if (type === '' || type.includes('/') || type.includes('\\')) {
    throw new CniRuntimeError(`invalid plugin type ${JSON.stringify(type)}: expected a file name without a path separator`);
  }
  const found = findInPath(type, dirs);
  if (found === null) throw new CniRuntimeError(`failed to find plugin ${JSON.stringify(type)} in path [${dirs.join(' ')}]`);
  return found;
}

/** Builds the child's environment: ours, minus any inherited CNI_* variable, plus this call's. */
export function buildEnv(cni: CniEnv, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CNI_')) env[k] = v;
  Object.assign(env, extra);
  for (const [key, name] of CNI_VARS) {
    const v = cni[key];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

function runOnce(file: string, env: Record<string, string>, stdin: string, opts: ExecOptions): Promise<ExecOutcome & { spawnError?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const argv = [...(opts.prefix ?? []), file];
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a plugin that never reads stdin (VERSION) closes the pipe early
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ exitCode: null, signal: null, timedOut, stdout: '', stderr: String(e.message), spawnError: e });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(stdin);
  });
}

/**
 * Runs a plugin once and returns what it printed. libcni retries up to 5 times, 1 s apart, only when
 * exec fails with ETXTBSY ("text file busy": the binary is still being written).
 */
export async function execPlugin(file: string, cni: CniEnv, stdin: string, opts: ExecOptions = {}): Promise<ExecOutcome> {
  const env = buildEnv(cni, opts.extraEnv);
  if (opts.inProcess !== undefined) {
    const r = opts.inProcess(file, env, stdin);
    return { exitCode: r.code, signal: null, timedOut: false, stdout: r.stdout, stderr: r.stderr };
  }
  for (let attempt = 0; ; attempt++) {
    const r = await runOnce(file, env, stdin, opts);
    if (r.spawnError?.code === 'ETXTBSY' && attempt < 4) {
      await new Promise((res) => setTimeout(res, 1000));
      continue;
    }
    if (r.spawnError !== undefined) throw new CniRuntimeError(`failed to run plugin ${file}: ${r.spawnError.message}`);
    return { exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
  }
}

/**
 * libcni's reading of a failed run (pkg/invoke/raw_exec.go pluginErr): the error object from stdout; if
 * stdout is not JSON, a message quoting it; with neither, a message naming the exit status. Code 999
 * stands in where the plugin gave none (the Go library's internal-error code).
 */
export function pluginErrorOf(o: ExecOutcome): CniPluginError {
  const exit = o.timedOut ? 'killed after timeout' : o.signal !== null ? `signal: ${o.signal}` : `exit status ${o.exitCode}`;
  if (o.stdout.trim() !== '') {
    try {
      const e = JSON.parse(o.stdout) as Record<string, unknown>;
      if (typeof e === 'object' && e !== null && typeof e.code === 'number') {
        return new CniPluginError(e.code, typeof e.msg === 'string' ? e.msg : '', typeof e.details === 'string' ? e.details : undefined, o);
      }
    } catch (parseErr) {
      return new CniPluginError(999, `netplugin failed but error parsing its diagnostic message ${JSON.stringify(o.stdout)}: ${(parseErr as Error).message}`, undefined, o);
    }
    return new CniPluginError(999, `netplugin failed but error parsing its diagnostic message ${JSON.stringify(o.stdout)}: no code`, undefined, o);
  }
  if (o.stderr.trim() !== '') return new CniPluginError(999, `netplugin failed: ${JSON.stringify(o.stderr)}: ${exit}`, undefined, o);
  return new CniPluginError(999, `netplugin failed with no error message: ${exit}`, undefined, o);
}

/** Runs a plugin and returns its parsed stdout (undefined when empty), or throws CniPluginError. */
export async function invokePlugin(file: string, cni: CniEnv, stdin: string, opts: ExecOptions = {}): Promise<unknown> {
  const o = await execPlugin(file, cni, stdin, opts);
  if (o.exitCode !== 0) throw pluginErrorOf(o);
  if (o.stderr !== '') process.stderr.write(o.stderr); // libcni forwards a successful plugin's logging
  if (o.stdout.trim() === '') return undefined;
  try {
    return JSON.parse(o.stdout);
  } catch (e) {
    throw new CniPluginError(999, `failed to parse plugin output ${JSON.stringify(o.stdout)}: ${(e as Error).message}`, undefined, o);
  }
}
