/**
 * The kernel target: real network namespaces on this machine (root, iproute2). Every host is a fresh
 * namespace playing the node's root netns — plugins run inside it through `ip netns exec`, so bridges,
 * iptables rules and sysctls land there and vanish with it — and sandboxes are further namespaces.
 * All names share one random prefix and are deleted in close(), even after failures.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ifacesFromIpJson, normaliseIptablesSave, routesFromIpJson, type ConformanceHost, type ConformanceTarget } from './target.js';

interface CmdResult { code: number; stdout: string; stderr: string }

export function runCmd(argv: string[]): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127;
      resolve({ code, stdout, stderr });
    });
  });
}

async function must(argv: string[]): Promise<string> {
  const r = await runCmd(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Whether the kernel target can work here: root on Linux with `ip netns`. */
export async function kernelTargetAvailable(): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return (await runCmd(['ip', 'netns', 'list'])).code === 0;
}

function nsOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class KernelTarget implements ConformanceTarget {
  readonly kind = 'kernel' as const;
  readonly prefix = `kpt-${randomBytes(3).toString('hex')}-`;
  private readonly created = new Set<string>();
  private readonly dirs = new Set<string>();
  private seq = 0;

  async addNetns(): Promise<string> {
    const name = `${this.prefix}${++this.seq}`;
    await must(['ip', 'netns', 'add', name]);
    this.created.add(name);
    await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  async delNetns(name: string): Promise<void> {
    if (!this.created.has(name)) return;
    await runCmd(['ip', 'netns', 'del', name]);
    this.created.delete(name);
  }

  async newHost(): Promise<ConformanceHost> {
    const hostNs = await this.addNetns();
    const stateDir = mkdtempSync(join(tmpdir(), 'kpath-cni-conf-'));
    this.dirs.add(stateDir);
    const target = this;
    const addrOf = async (ns: string) => ifacesFromIpJson(JSON.parse((await must(['ip', '-n', ns, '-j', 'addr', 'show'])) || '[]') as unknown[]);
    return {
      exec: { prefix: ['ip', 'netns', 'exec', hostNs] },
      stateDir,
      async newSandbox() {
        const lo = await target.addNetns();
        await must(['ip', '-n', lo, 'link', 'set', 'lo', 'down']); // a fresh container netns has lo down
        return `/run/netns/${lo}`;
      },
      deleteSandbox: (p) => target.delNetns(nsOf(p)),
      missingSandbox: () => `/run/netns/${target.prefix}gone`,
      interfaces: (sandbox) => addrOf(sandbox === null ? hostNs : nsOf(sandbox)),
      async routes(sandbox) {
        const ns = nsOf(sandbox);
        const v4 = JSON.parse((await must(['ip', '-n', ns, '-j', 'route', 'show'])) || '[]') as unknown[];
        return routesFromIpJson(v4);
      },
      async snapshot() {
        const links = (await addrOf(hostNs)).map((i) => `${i.name} ${i.addrs.sort().join(' ')}`).sort();
        const r4 = routesFromIpJson(JSON.parse((await must(['ip', '-n', hostNs, '-j', 'route', 'show'])) || '[]') as unknown[]).sort();
        const nat = normaliseIptablesSave((await runCmd(['ip', 'netns', 'exec', hostNs, 'iptables-save', '-t', 'nat'])).stdout);
        const nat6 = normaliseIptablesSave((await runCmd(['ip', 'netns', 'exec', hostNs, 'ip6tables-save', '-t', 'nat'])).stdout);
        return [...links, '--', ...r4, '--', ...nat, '--', ...nat6, '--', ...listFiles(stateDir)].join('\n');
      },
      async tamper(sandbox, ifname) {
        const ns = nsOf(sandbox);
        await runCmd(['ip', '-n', ns, 'link', 'set', ifname, 'down']);
        await runCmd(['ip', '-n', ns, 'addr', 'flush', 'dev', ifname]);
        return true;
      },
      async destroy() {
        await target.delNetns(hostNs);
        rmSync(stateDir, { recursive: true, force: true });
        target.dirs.delete(stateDir);
      },
    };
  }

  async close(): Promise<void> {
    for (const n of [...this.created]) await this.delNetns(n);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}

/** Files under a directory (recursively), except the allocation cursors and locks an IPAM keeps by design. */
export function listFiles(dir: string, rel = ''): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(join(dir, rel));
  } catch {
    return [];
  }
  for (const n of names.sort()) {
    const p = rel === '' ? n : `${rel}/${n}`;
    if (n === 'lock' || n === 'lock.d' || n.startsWith('last_reserved_ip')) continue;
    const sub = listFiles(dir, p);
    out = out.concat(sub.length > 0 ? sub : [p]);
  }
  return out;
}
