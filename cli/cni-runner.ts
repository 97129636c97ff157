/**
 * `kpath cni add|del|check|gc|status|conformance`: the libcni-style runner over a configuration list,
 * and the conformance runner for any plugin binary. Exit codes: 0 success, 1 the plugin failed (its
 * error object is printed) or a conformance check failed, 2 usage or input error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CniConfigError, loadNetworkConfig, type NetworkConfigList } from '../topology/cni/runner/conflist.js';
import { CniPluginError, CniRuntimeError, splitCniPath } from '../topology/cni/runner/exec.js';
import { CniRunner, type RuntimeConf } from '../topology/cni/runner/runner.js';
import { DEFAULT_CNI_CACHE_DIR } from '../topology/cni/runner/cache.js';
import { runConformance, type ConformanceReport } from '../topology/cni/conformance/conformance.js';
import { BUILTIN_CONFS, builtinHelp } from '../topology/cni/conformance/defaults.js';
import { KernelTarget, kernelTargetAvailable } from '../topology/cni/conformance/kernel-target.js';
import { EmulatedTarget } from '../topology/cni/conformance/emulated-target.js';
import type { ConformanceTarget } from '../topology/cni/conformance/target.js';
import { EXIT_FAILED, EXIT_USAGE } from './errors.js';
import { paint, type Out } from './output.js';

export const CNI_RUNNER_HELP = `
Runtime (libcni-style) commands:
  add|check|del --conflist FILE --netns NAME --container-id ID [--ifname eth0] [--cni-path DIRS]
                [--args K=V;...] [--capability-args JSON] [--cache-dir DIR]
                  run a network configuration list (.conflist, or a single-plugin .conf) for one
                  attachment; add prints the final result; results are cached as libcni caches them
                  (DIR/results/<network>-<id>-<ifname>, default ${DEFAULT_CNI_CACHE_DIR})
  gc --conflist FILE [--valid ID[/IFNAME],...] [--cni-path DIRS] [--cache-dir DIR]
                  DEL cached attachments not listed as valid, then GC every plugin (lists >= 1.1.0)
  status --conflist FILE [--cni-path DIRS]
                  STATUS of every plugin (lists >= 1.1.0)
  conformance --cni-path DIR --plugin TYPE [--conf FILE] [--target emulated|kernel] [--check IDS] [--json]
                  check a plugin binary against the numbered checklist (C01-C45): MUST items fail,
                  SHOULD items warn; exit 1 when a check failed. --target kernel needs root and
                  iproute2 (real namespaces, deleted afterwards); emulated (default) uses a temporary
                  emulated host passed to the plugin in KPATH_CNI_HOST.

  --netns NAME is a namespace name (sent as /run/netns/NAME) or a path. --cni-path defaults to
  $CNI_PATH, else /opt/cni/bin.

Examples:
  kpath cni add --conflist /etc/cni/net.d/10-bridge.conflist --netns pod1 --container-id c1 \\
      --cni-path /usr/lib/cni --capability-args '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}'
  kpath cni del --conflist /etc/cni/net.d/10-bridge.conflist --netns pod1 --container-id c1 --cni-path /usr/lib/cni
  sudo kpath cni conformance --cni-path /usr/lib/cni --plugin bridge --target kernel
  kpath cni conformance --cni-path /tmp/cni-bin --plugin my-ipam --conf my-ipam.json --json

Built-in configurations for conformance without --conf (@STATE@ = a per-check directory,
@NETNS@ = the attachment's CNI_NETNS):
${builtinHelp()}
`;

class Usage extends Error {}

const RUNTIME_OPTIONS = {
  conflist: { type: 'string' },
  netns: { type: 'string' },
  'container-id': { type: 'string' },
  ifname: { type: 'string' },
  'cni-path': { type: 'string' },
  args: { type: 'string' },
  'capability-args': { type: 'string' },
  'cache-dir': { type: 'string' },
  valid: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function cniPathOf(v: string | undefined): string[] {
  return splitCniPath(v ?? process.env['CNI_PATH'] ?? '/opt/cni/bin');
}

/** `K=V;K=V` as libcni's RuntimeConf.Args pairs. */
export function parseCniArgs(s: string): Array<[string, string]> {
  return s.split(';').filter((p) => p !== '').map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new Usage(`--args: invalid pair ${JSON.stringify(p)}: expected KEY=VALUE`);
    return [p.slice(0, i), p.slice(i + 1)];
  });
}

function runtimeCommand(verb: 'add' | 'check' | 'del' | 'gc' | 'status') {
  return async (argv: string[], out: Out): Promise<number> => {
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({ args: argv, options: RUNTIME_OPTIONS, strict: true }).values;
    } catch (e) {
      out.err(`kpath cni ${verb}: ${(e as Error).message.replace(/\. To specify.*$/s, '')} (see kpath cni --help)\n`);
      return EXIT_USAGE;
    }
    if (values.help === true) {
      out.write(CNI_RUNNER_HELP);
      return 0;
    }
    let list: NetworkConfigList;
    let runner: CniRunner;
    let rt: RuntimeConf | undefined;
    try {
      if (typeof values.conflist !== 'string') throw new Usage('--conflist FILE is required');
      list = loadNetworkConfig(values.conflist);
      runner = new CniRunner({ pluginDirs: cniPathOf(values['cni-path'] as string | undefined), cacheDir: (values['cache-dir'] as string | undefined) ?? DEFAULT_CNI_CACHE_DIR });
      if (verb === 'add' || verb === 'check' || verb === 'del') {
        if (typeof values['container-id'] !== 'string') throw new Usage('--container-id ID is required');
        if (typeof values.netns !== 'string' && verb !== 'del') throw new Usage('--netns NAME is required');
        const ns = typeof values.netns === 'string' ? values.netns : '';
        rt = { containerId: values['container-id'], netns: ns === '' || ns.includes('/') ? ns : `/run/netns/${ns}`, ifname: (values.ifname as string | undefined) ?? 'eth0' };
        if (typeof values.args === 'string') rt.args = parseCniArgs(values.args);
        if (typeof values['capability-args'] === 'string') {
          let caps: unknown;
          try {
            caps = JSON.parse(values['capability-args']);
          } catch (e) {
            throw new Usage(`--capability-args: ${(e as Error).message}; expected a JSON object such as {"portMappings":[...]}`);
          }
          if (typeof caps !== 'object' || caps === null || Array.isArray(caps)) throw new Usage('--capability-args: expected a JSON object');
          rt.capabilityArgs = caps as Record<string, unknown>;
        }
      }
    } catch (e) {
      if (e instanceof Usage || e instanceof CniConfigError) {
        out.err(`kpath cni ${verb}: ${e.message}\n`);
        return EXIT_USAGE;
      }
      throw e;
    }
    try {
      switch (verb) {
        case 'add':
          out.write(`${JSON.stringify(await runner.addNetworkList(list, rt!), null, 2)}\n`);
          return 0;
        case 'check':
          await runner.checkNetworkList(list, rt!);
          return 0;
        case 'del':
          await runner.delNetworkList(list, rt!);
          return 0;
        case 'gc': {
          const valid = String(values.valid ?? '').split(',').filter((x) => x !== '').map((x) => {
            const [containerID, ifname] = x.split('/');
            return { containerID: containerID!, ifname: ifname ?? 'eth0' };
          });
          await runner.gcNetworkList(list, valid);
          return 0;
        }
        case 'status':
          await runner.getStatusNetworkList(list);
          return 0;
      }
    } catch (e) {
      if (e instanceof CniPluginError) {
        out.write(`${JSON.stringify(e.toJSON(), null, 2)}\n`);
        out.err(`kpath cni ${verb}: ${e.message}\n`);
        return EXIT_FAILED;
      }
      if (e instanceof CniRuntimeError) {
        out.err(`kpath cni ${verb}: ${e.message}\n`);
        return EXIT_FAILED;
      }
      throw e;
    }
  };
}

export function renderReport(r: ConformanceReport, out: Out): string {
  const c = paint(out);
  const colour = { pass: c.green, fail: c.red, warn: c.yellow, skip: c.dim } as const;
  const lines = [`${r.plugin} (target ${r.target}; supportedVersions ${JSON.stringify(r.supportedVersions)})`, ''];
  lines.push('ID   LEVEL   STATUS  CHECK');
  for (const k of r.checks) {
    lines.push(`${k.id}  ${k.level.padEnd(6)}  ${colour[k.status](k.status.padEnd(6))}  ${k.title}${k.detail !== '' ? ` — ${k.detail}` : ''}`);
  }
  const s = r.summary;
  lines.push('', `${r.plugin}: ${s.pass} passed, ${s.fail} failed, ${s.warn} warnings, ${s.skip} skipped (${s.total} checks)`);
  return `${lines.join('\n')}\n`;
}

async function conformanceCommand(argv: string[], out: Out): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: { 'cni-path': { type: 'string' }, plugin: { type: 'string' }, conf: { type: 'string' }, target: { type: 'string' }, json: { type: 'boolean' }, check: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (e) {
    out.err(`kpath cni conformance: ${(e as Error).message.replace(/\. To specify.*$/s, '')} (see kpath cni --help)\n`);
    return EXIT_USAGE;
  }
  if (values.help === true) {
    out.write(CNI_RUNNER_HELP);
    return 0;
  }
  const usage = (m: string) => {
    out.err(`kpath cni conformance: ${m} (see kpath cni --help)\n`);
    return EXIT_USAGE;
  };
  if (typeof values['cni-path'] !== 'string') return usage('--cni-path DIR is required');
  if (typeof values.plugin !== 'string') return usage('--plugin TYPE is required');
  const targetName = (values.target as string | undefined) ?? 'emulated';
  if (targetName !== 'emulated' && targetName !== 'kernel') return usage(`--target: expected emulated or kernel, got ${JSON.stringify(targetName)}`);
  let conf: Record<string, unknown>;
  if (typeof values.conf === 'string') {
    let text: string;
    try {
      text = readFileSync(values.conf, 'utf8');
    } catch (e) {
      return usage(`--conf ${values.conf}: ${(e as Error).message}`);
    }
    try {
      conf = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      return usage(`--conf ${values.conf}: ${(e as Error).message}; expected one plugin's JSON configuration`);
    }
    if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) return usage(`--conf ${values.conf}: $: expected a JSON object`);
    if (conf.type !== undefined && conf.type !== values.plugin) return usage(`--conf ${values.conf}: $.type is ${JSON.stringify(conf.type)}, but --plugin is ${JSON.stringify(values.plugin)}`);
    conf.type = values.plugin;
    if (typeof conf.name !== 'string') conf.name = 'kpath-conformance';
  } else {
    const builtin = BUILTIN_CONFS[values.plugin];
    if (builtin === undefined) return usage(`no built-in configuration for type ${JSON.stringify(values.plugin)} (known: ${Object.keys(BUILTIN_CONFS).join(', ')}); give --conf FILE`);
    conf = structuredClone(builtin) as Record<string, unknown>;
  }
  if (targetName === 'kernel' && !(await kernelTargetAvailable())) return usage('--target kernel needs root on Linux with iproute2 (`ip netns`)');
  const target: ConformanceTarget = targetName === 'kernel' ? new KernelTarget() : new EmulatedTarget();
  let report: ConformanceReport;
  try {
    const only = typeof values.check === 'string' ? values.check.split(',').map((x) => x.trim().toUpperCase()) : undefined;
    report = await runConformance({ cniPath: cniPathOf(values['cni-path']), plugin: values.plugin, conf, target, ...(only ? { only } : {}) });
  } catch (e) {
    if (e instanceof CniRuntimeError) return usage(e.message);
    throw e;
  } finally {
    await target.close();
  }
  if (values.json === true) {
    out.write(`${JSON.stringify({ plugin: report.plugin, target: report.target, supportedVersions: report.supportedVersions, checks: report.checks.map(({ id, title, section, level, status, detail }) => ({ id, title, section, level, status, detail })), summary: report.summary }, null, 2)}\n`);
  } else out.write(renderReport(report, out));
  return report.summary.fail > 0 ? EXIT_FAILED : 0;
}

/** Registered into `kpath cni`'s sub-commands by cli/cni.ts. */
export const CNI_RUNNER_COMMANDS: Record<string, (argv: string[], out: Out) => Promise<number>> = {
  add: runtimeCommand('add'),
  check: runtimeCommand('check'),
  del: runtimeCommand('del'),
  gc: runtimeCommand('gc'),
  status: runtimeCommand('status'),
  conformance: conformanceCommand,
};
