/**
 * The emulated host CNI plugins act on: a kpath World (namespace "root" is the host's own) kept in
 * a directory, so that plugin processes started one after another, or twenty at once, see and
 * change one machine, as the reference plugins do with the real kernel.
 *
 * Layout of the host directory:
 *   host.json        the state (state.ts), replaced atomically (write host.json.tmp.PID, fsync, rename)
 *   lock             held (lock.ts) for every read-modify-write, so concurrent plugins never lose an update
 *   netns/<name>     one empty file per namespace, so runtimes can pass CNI_NETNS as a path
 *                    (`<dir>/netns/<name>`), like the bind mounts `ip netns add` makes in /run/netns
 *
 * A crash at any point leaves either the old or the new host.json (rename is atomic) and a stale
 * lock that the next process breaks.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { World } from '../../../datapath/world.js';
import { withFileLock } from './lock.js';
import { ipAddrJson, ipLinkJson, ipRouteJson } from './iproute-json.js';
import { addNetns, deleteNetns, linkUp } from './ops.js';
import { HostStateError, loadWorld, saveWorld, type HostSession, type SavedHost } from './state.js';

/** Environment variable naming the host state directory. */
export const KPATH_CNI_HOST_ENV = 'KPATH_CNI_HOST';
/** The host's own namespace. */
export const ROOT_NETNS = 'root';
const STATE_FILE = 'host.json';

function freshHost(): HostSession {
  // A World always starts empty; the root namespace is the machine's own, lo up as after boot.
  const s: HostSession = { world: undefined as unknown as World, extras: new Map() };
  s.world = loadWorld({ format: 1, namespaces: [] }, '<new>').world;
  addNetns(s, ROOT_NETNS);
  linkUp(s, ROOT_NETNS, 'lo');
  return s;
}

export class EmulatedHost {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Loads the host in `dir`, creating the directory and a host with only "root" when absent. */
  static open(dir: string): EmulatedHost {
    const abs = resolve(dir);
    mkdirSync(join(abs, 'netns'), { recursive: true });
    const h = new EmulatedHost(abs);
    if (!existsSync(join(abs, STATE_FILE))) h.transact(() => undefined);
    return h;
  }

  netnsNames(): string[] {
    return [...this.read().world.namespaces.keys()];
  }

  hasNetns(name: string): boolean {
    return this.read().world.namespaces.has(name);
  }

  /** `ip netns add NAME`. */
  addNetns(name: string): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
      throw new Error(`invalid namespace name "${name}": expected letters, digits, "_", "." or "-"`);
    }
    this.transact((s) => {
      if (s.world.namespaces.has(name)) throw new Error(`Cannot create namespace file "${this.netnsPath(name)}": File exists`);
      addNetns(s, name);
    });
  }

  /** `ip netns del NAME`: its devices go, veth peers elsewhere with them. */
  deleteNetns(name: string): void {
    if (name === ROOT_NETNS) throw new Error('the root namespace cannot be deleted');
    this.transact((s) => {
      if (!s.world.namespaces.has(name)) throw new Error(`Cannot remove namespace file "${this.netnsPath(name)}": No such file or directory`);
      deleteNetns(s, name);
    });
  }

  /** The path a runtime passes as CNI_NETNS for this namespace. */
  netnsPath(name: string): string {
    return join(this.dir, 'netns', name);
  }

  /**
   * The namespace CNI_NETNS names, or null: a bare name, `<dir>/netns/<name>`, or the runtimes'
   * usual `/run/netns/<name>` and `/var/run/netns/<name>` (read as this host's namespaces).
   */
  resolveNetns(s: HostSession, cniNetns: string): string | null {
    let name: string;
    if (!cniNetns.includes('/')) name = cniNetns;
    else {
      const d = resolve(dirname(cniNetns));
      if (d !== join(this.dir, 'netns') && d !== '/run/netns' && d !== '/var/run/netns') return null;
      name = basename(cniNetns);
    }
    return s.world.namespaces.has(name) ? name : null;
  }

  /** What `ip -n NETNS -j link|addr|route show` would print there. */
  ipJson(netns: string, what: 'link' | 'addr' | 'route'): unknown[] {
    const s = this.read();
    if (!s.world.namespaces.has(netns)) throw new Error(`Cannot open network namespace "${netns}": No such file or directory`);
    switch (what) {
      case 'link': return ipLinkJson(s, netns);
      case 'addr': return ipAddrJson(s, netns);
      case 'route': return ipRouteJson(s, netns);
    }
  }

  /** `ip netns exec NETNS iptables-save`. */
  iptablesSave(netns: string): string {
    return this.read().world.netns(netns).xtables.save();
  }

  /** Exclusive read-modify-write of the whole host; what fn changes in the World is saved. */
  withLock<T>(fn: (world: World) => T): T {
    return this.transact((s) => fn(s.world));
  }

  /** withLock with the side record (IPv6 addresses, promiscuous flags) too. */
  transact<T>(fn: (s: HostSession) => T): T {
    return withFileLock(join(this.dir, 'lock'), () => {
      const s = this.load();
      const out = fn(s);
      this.store(s);
      return out;
    });
  }

  /** A consistent snapshot without the lock (rename makes every read see a whole file). */
  read(): HostSession {
    return this.load();
  }

  private load(): HostSession {
    const path = join(this.dir, STATE_FILE);
    if (!existsSync(path)) return freshHost();
    const text = readFileSync(path, 'utf8');
    let saved: SavedHost;
    try {
      saved = JSON.parse(text) as SavedHost;
    } catch (e) {
      throw new HostStateError(path, '$', `JSON (${(e as Error).message})`);
    }
    return loadWorld(saved, path);
  }

  private store(s: HostSession): void {
    const path = join(this.dir, STATE_FILE);
    const tmp = `${path}.tmp.${process.pid}`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, JSON.stringify(saveWorld(s)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    this.syncNetnsFiles(s);
  }

  /** Keeps netns/<name> in step with the namespaces (files exist so CNI_NETNS paths stat). */
  private syncNetnsFiles(s: HostSession): void {
    const nsDir = join(this.dir, 'netns');
    mkdirSync(nsDir, { recursive: true });
    for (const name of s.world.namespaces.keys()) {
      const p = join(nsDir, name);
      if (!existsSync(p)) writeFileSync(p, '');
    }
    for (const f of readdirNames(nsDir)) if (!s.world.namespaces.has(f)) rmSync(join(nsDir, f), { force: true });
  }
}

function readdirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
