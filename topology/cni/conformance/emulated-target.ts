/**
 * The emulated target: each host is a fresh EmulatedHost directory handed to plugins through
 * KPATH_CNI_HOST; sandboxes are its namespaces (CNI_NETNS = `<dir>/netns/<name>`), and the runner reads
 * their state back through the same `ip -j` views the kernel target gets from iproute2.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatedHost, KPATH_CNI_HOST_ENV, ROOT_NETNS } from '../host/index.js';
import { deleteLink } from '../host/ops.js';
import { ifacesFromIpJson, normaliseIptablesSave, routesFromIpJson, type ConformanceHost, type ConformanceTarget } from './target.js';
import { listFiles } from './kernel-target.js';

function nsOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export class EmulatedTarget implements ConformanceTarget {
  readonly kind = 'emulated' as const;
  private readonly dirs = new Set<string>();

  async newHost(): Promise<ConformanceHost> {
    const dir = mkdtempSync(join(tmpdir(), 'kpath-cni-host-'));
    this.dirs.add(dir);
    const host = EmulatedHost.open(join(dir, 'host'));
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir);
    let seq = 0;
    const target = this;
    return {
      exec: { extraEnv: { [KPATH_CNI_HOST_ENV]: host.dir } },
      stateDir,
      async newSandbox() {
        const name = `sandbox-${++seq}`;
        host.addNetns(name);
        return host.netnsPath(name);
      },
      async deleteSandbox(p) {
        if (host.hasNetns(nsOf(p))) host.deleteNetns(nsOf(p));
      },
      missingSandbox: () => host.netnsPath('gone'),
      async interfaces(sandbox) {
        return ifacesFromIpJson(host.ipJson(sandbox === null ? ROOT_NETNS : nsOf(sandbox), 'addr'));
      },
      async routes(sandbox) {
        return routesFromIpJson(host.ipJson(nsOf(sandbox), 'route'));
      },
      async snapshot() {
        const links = ifacesFromIpJson(host.ipJson(ROOT_NETNS, 'addr')).map((i) => `${i.name} ${i.addrs.sort().join(' ')}`).sort();
        const routes = routesFromIpJson(host.ipJson(ROOT_NETNS, 'route')).sort();
        const nat = normaliseIptablesSave(host.iptablesSave(ROOT_NETNS)).filter((l) => !l.startsWith('*') || l === '*nat');
        return [...links, '--', ...routes, '--', ...nat, '--', ...listFiles(stateDir)].join('\n');
      },
      async tamper(sandbox, ifname) {
        // DEVIATION: the emulated host offers no address flush; removing the interface is the tamper.
        host.transact((s) => deleteLink(s, nsOf(sandbox), ifname));
        return true;
      },
      async destroy() {
        rmSync(dir, { recursive: true, force: true });
        target.dirs.delete(dir);
      },
    };
  }

  async close(): Promise<void> {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}
