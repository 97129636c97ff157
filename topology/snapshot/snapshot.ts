/**
 * Snapshots of a built cluster as CBOR (cbor-x): every namespace's devices, addresses, routes,
 * rules, neighbours, sysctls, listeners, iptables rules (as iptables-save text), ipsets (as ipset
 * save text) and conntrack entries, plus the cluster model and the clock and generator positions.
 * Reloading skips YAML parsing, validation, derivation and kube-proxy's syncs.
 *
 * Rules and sets travel as the real tools' text and are reloaded through kpath's own parsers: the
 * text is the truth, and the format stays readable in a hex dump.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { decode, encode } from 'cbor-x';
import type { IfAddr, Link } from '../../datapath/link/types.js';
import type { Route } from '../../datapath/fib/route.js';
import type { IpRule } from '../../datapath/fib/rule.js';
import type { NeighEntry } from '../../datapath/neigh/neigh.js';
import type { LinkSpec } from '../../datapath/netns.js';
import { parseConntrackList } from '../../datapath/conntrack/index.js';
import { World, type NamespaceInfo } from '../../datapath/world.js';
import type { Cluster } from '../cluster.js';
import type { ClusterModel } from '../model/index.js';
import type { ProxyMode } from '../model/types.js';

export const SNAPSHOT_FORMAT = 'kpath-snapshot/1';

export interface NetnsRecord {
  name: string;
  info: NamespaceInfo;
  links: (Omit<Link, 'fdb'> & { fdb?: [string, unknown][] })[];
  addresses: IfAddr[];
  routes: Route[];
  rules: IpRule[];
  neigh: NeighEntry[];
  sysctls: [string, string][];
  listeners: { proto: number; addr: number; port: number }[] | null;
  iptables: string;
  ipsets: string;
  conntrack: string;
}

interface SnapshotRecord {
  format: typeof SNAPSHOT_FORMAT;
  clockMs: number;
  rng: number;
  mode: ProxyMode;
  model: ClusterModel;
  podNetns: [string, string][];
  owners: [number, string][];
  namespaces: NetnsRecord[];
  warnings: string[];
}

export class SnapshotError extends Error {}

/** One namespace's whole state as plain data (also used to move a namespace between worlds). */
export function netnsRecord(world: World, name: string): NetnsRecord {
  const ns = world.netns(name);
  const links = [...ns.links.values()].map((l) => (l.kind === 'bridge' || l.kind === 'vxlan' ? { ...l, fdb: [...l.fdb.entries()] } : { ...l }));
  return {
    name,
    info: world.info.get(name) ?? { role: 'netns' },
    links: links as NetnsRecord['links'],
    addresses: [...ns.links.keys()].flatMap((d) => [...ns.addresses(d)]),
    routes: [...ns.fib.tables.values()].flatMap((t) => t.list()),
    rules: [...ns.fib.rules],
    neigh: ns.neigh.entries(),
    sysctls: ns.sysctl.entries(),
    listeners: ns.listeners,
    iptables: ns.xtables.save({ counters: true, header: null }),
    ipsets: ns.ipsets.save({ sortMembers: false, initval: 'actual' }),
    conntrack: ns.conntrack.format(),
  };
}

export function encodeSnapshot(cluster: Cluster): Uint8Array {
  const w = cluster.world;
  const rec: SnapshotRecord = {
    format: SNAPSHOT_FORMAT,
    clockMs: w.clock.now(),
    rng: w.rng.position,
    mode: cluster.mode,
    model: cluster.model,
    podNetns: [...cluster.podNetns],
    owners: [...cluster.owners],
    namespaces: [...w.namespaces.keys()].map((n) => netnsRecord(w, n)),
    warnings: [...w.warnings],
  };
  return encode(rec);
}

export interface RestoreNetnsOptions {
  /** The namespace's name in the new world (default: its recorded name). */
  name?: string;
  info?: NamespaceInfo;
  /** Renames the namespaces veth peers live in (when moving between worlds). */
  peerNetns?: (name: string) => string;
  /** Renames a veth peer device (given the peer's original namespace and name). */
  peerName?: (netns: string, name: string) => string;
}

/** Recreates a recorded namespace in `world`. */
export function restoreNetns(world: World, r: NetnsRecord, opts: RestoreNetnsOptions = {}): void {
  const ns = world.addNetns(opts.name ?? r.name, opts.info ?? r.info);
  const rename = opts.peerNetns ?? ((n: string) => n);
  for (const [k, v] of r.sysctls) ns.sysctl.set(k, v);
  for (const l of r.links) {
    if (l.name === 'lo') continue;
    const { up, master, hairpin, learning, fdb, ...rest } = l as Link & { fdb?: [string, never][] };
    const spec = { ...rest, ...(fdb ? { fdb: new Map(fdb) } : {}) } as unknown as LinkSpec;
    if (spec.kind === 'veth') {
      if (opts.peerName) spec.peerName = opts.peerName(spec.peerNetns, spec.peerName);
      spec.peerNetns = rename(spec.peerNetns);
    }
    ns.addLink(spec);
    void up; void master; void hairpin; void learning;
  }
  for (const l of r.links) {
    const link = ns.link(l.name);
    if (l.master !== null) ns.enslave(l.name, l.master, { hairpin: l.hairpin });
    link.learning = l.learning;
    if (l.up && l.name !== 'lo') ns.setUp(l.name, true);
  }
  for (const a of r.addresses) {
    if (a.dev === 'lo' && a.addr === 0x7f000001) continue;
    ns.addAddress(a.dev, a.addr, a.len, { scope: a.scope, broadcast: a.broadcast });
  }
  // The routes and rules as they were, replacing the ones the addresses made.
  ns.fib.replaceRoutes(r.routes);
  ns.fib.replaceRules(r.rules);
  for (const n of r.neigh) ns.neigh.set(n);
  ns.listeners = r.listeners;
  if (r.ipsets.trim() !== '') ns.ipsets.restore(r.ipsets, { file: `${r.name}/ipset-save` });
  if (r.iptables.trim() !== '') ns.xtables.restore(r.iptables, { file: `${r.name}/iptables-save`, counters: true });
  if (r.conntrack.trim() !== '') ns.conntrack.restore(parseConntrackList(r.conntrack, `${r.name}/conntrack`).entries);
}

export function decodeSnapshot(bytes: Uint8Array, file = '<snapshot>'): Cluster {
  let rec: SnapshotRecord;
  try {
    rec = decode(bytes) as SnapshotRecord;
  } catch (e) {
    throw new SnapshotError(`${file}: not a CBOR snapshot (${(e as Error).message})`);
  }
  if (rec === null || typeof rec !== 'object' || rec.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotError(`${file}: expected a ${SNAPSHOT_FORMAT} snapshot (made by kpath snapshot)`);
  }
  const world = new World(1);
  world.clock.advance(rec.clockMs);
  for (const r of rec.namespaces) restoreNetns(world, r);
  world.rng.reseed(rec.rng);
  world.warnings.push(...rec.warnings);
  return {
    kind: 'cluster',
    world,
    model: rec.model,
    mode: rec.mode,
    podNetns: new Map(rec.podNetns),
    owners: new Map(rec.owners),
    // A reloaded world's kube-proxies are not running: re-sync needs the fixture.
    proxiers: new Map(),
  };
}

/** Writes atomically: a temporary file beside the target, then a rename. */
export function saveSnapshot(cluster: Cluster, path: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, encodeSnapshot(cluster));
  renameSync(tmp, path);
}

export function loadSnapshot(path: string): Cluster {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SnapshotError(`${path}: cannot read the snapshot (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeSnapshot(bytes, path);
}
