/**
 * bridge (containernetworking/plugins plugins/main/bridge, v1.1.1; spec/cni.md §8): a Linux bridge
 * on the host, a veth pair per attachment with the host end enslaved, addresses from the IPAM
 * delegate, optional gateway address on the bridge and masquerading.
 *
 * Where kpath differs from the 1.1.1 binary it follows spec/cni.md §14's choices: an IPAM failure
 * removes the veth pair (D8), DEL tears masquerading down from prevResult when the container's
 * interface is gone (D6), two attachments of one container share the masquerade chain without the
 * CHAIN_DEL busy failure (D7), CHECK skips IPAM for an L2-only attachment (D9) and verifies the
 * NAT rules (D10).
 */
import { parseCniArgs } from './args.js';
import { CniError, fail } from './errors.js';
import { delegateAdd, delegateVerb } from './delegate.js';
import { add, familyOf, formatIp, networkOf, parseIpNet } from './ip.js';
import { addAddress, addRoute, goRouteText, hasAddress, hasRoute, masqRulesPresent, openNetns, setForwarding, setupIpMasq, setupVeth, teardownIpMasq } from './netops.js';
import { parseResult, type CniDns, type CniResult } from './result.js';
import { prevResultOf, type CniPlugin, type PluginContext } from './skel.js';
import { deleteLink, extrasOf, linkUp, nextIfindex, randomMac, ROOT_NETNS, type HostSession } from '../host/index.js';

export interface BridgeConf {
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  mtu: number;
  hairpinMode: boolean;
  promiscMode: boolean;
  ipamType: string | null;
  dns: CniDns;
  mac: string | null;
}

function bool(v: unknown): boolean {
  return v === true;
}

export function parseDns(v: unknown): CniDns {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? parseResult({ cniVersion: '1.0.0', dns: v }, '1.0.0').dns : {};
}

export function loadBridgeConf(ctx: PluginContext): BridgeConf {
  const c = ctx.conf;
  const args = parseCniArgs(ctx.cniArgs, ['MAC']);
  const ipam = c['ipam'] as Record<string, unknown> | undefined;
  const conf: BridgeConf = {
    bridge: typeof c['bridge'] === 'string' && c['bridge'] !== '' ? (c['bridge'] as string) : 'cni0',
    isGateway: bool(c['isGateway']),
    isDefaultGateway: bool(c['isDefaultGateway']),
    forceAddress: bool(c['forceAddress']),
    ipMasq: bool(c['ipMasq']),
    mtu: typeof c['mtu'] === 'number' && c['mtu'] > 0 ? (c['mtu'] as number) : 1500,
    hairpinMode: bool(c['hairpinMode']),
    promiscMode: bool(c['promiscMode']),
    ipamType: ipam !== undefined && ipam !== null && typeof ipam === 'object' ? String(ipam['type'] ?? '') : null,
    dns: parseDns(c['dns']),
    mac: null,
  };
  const rc = c['runtimeConfig'] as Record<string, unknown> | undefined;
  const argsMac = ((c['args'] as Record<string, unknown> | undefined)?.['cni'] as Record<string, unknown> | undefined)?.['mac'];
  conf.mac = typeof argsMac === 'string' ? argsMac : typeof rc?.['mac'] === 'string' ? (rc['mac'] as string) : args.get('MAC') ?? null;
  if (conf.isDefaultGateway) conf.isGateway = true;
  if (conf.hairpinMode && conf.promiscMode) fail('cannot set hairpin mode and promiscuous mode at the same time.');
  return conf;
}

/** setupBridge: create the bridge if missing (it stays even when later steps fail). */
function ensureBridge(s: HostSession, conf: BridgeConf): void {
  const h = s.world.netns(ROOT_NETNS);
  const existing = h.links.get(conf.bridge);
  if (existing !== undefined && existing.kind !== 'bridge') fail(`${JSON.stringify(conf.bridge)} already exists but is not a bridge`);
  if (existing === undefined) {
    h.addLink({ kind: 'bridge', name: conf.bridge, mtu: conf.mtu, mac: randomMac(), ifindex: nextIfindex(h), fdb: new Map(), nfCallIptables: false, ageingTimeMs: 300_000 });
  }
  const ex = extrasOf(s, ROOT_NETNS);
  if (conf.promiscMode && !ex.promisc.includes(conf.bridge)) ex.promisc.push(conf.bridge);
  h.sysctl.set(`net.ipv6.conf.${conf.bridge}.accept_ra`, '0');
  linkUp(s, ROOT_NETNS, conf.bridge);
}

function bridgeAdd(ctx: PluginContext): CniResult {
  const conf = loadBridgeConf(ctx);
  const host = ctx.host();
  const made = host.transact((s) => {
    ensureBridge(s, conf);
    const contNs = openNetns(host, s, ctx.netns);
    const { hostName } = setupVeth(s, ROOT_NETNS, contNs, ctx.ifname, conf.mtu, conf.mac);
    s.world.netns(ROOT_NETNS).enslave(hostName, conf.bridge, { hairpin: conf.hairpinMode });
    return { contNs, hostName };
  });
  // Every failure from here on undoes the veth pair (D8) and releases the IPAM allocation.
  const undoVeth = () => host.transact((s) => deleteLink(s, ROOT_NETNS, made.hostName));
  let result: CniResult = { dns: conf.dns };
  if (conf.ipamType !== null) {
    try {
      const r = delegateAdd(conf.ipamType, ctx.stdin, ctx);
      result = { ips: r.ips ?? [], routes: r.routes ?? [], dns: conf.dns };
      // The bridge's result dns is the plugin config's only (bridge.go: result.DNS = n.DNS).
    } catch (e) {
      undoVeth();
      throw e;
    }
  }
  try {
    return host.transact((s) => {
      const h = s.world.netns(ROOT_NETNS);
      const c = s.world.netns(made.contNs);
      const br = h.link(conf.bridge);
      const hv = h.link(made.hostName);
      const cv = c.link(ctx.ifname);
      result.interfaces = [{ name: br.name, mac: br.mac }, { name: hv.name, mac: hv.mac }, { name: cv.name, mac: cv.mac, sandbox: ctx.netns }];
      if (conf.ipamType === null) {
        linkUp(s, made.contNs, ctx.ifname);
        return result;
      }
      const ips = result.ips ?? [];
      if (ips.length === 0) fail('IPAM plugin returned missing IP config');
      const gws = new Map<4 | 6, string>();
      for (const ip of ips) {
        ip.interface = 2;
        const fam = familyOf(ip.address);
        if (ip.gateway === undefined && conf.isGateway) ip.gateway = formatIp(add(networkOf(parseIpNet(ip.address)!), 1n));
        if (ip.gateway !== undefined && !gws.has(fam)) gws.set(fam, ip.gateway);
      }
      if (conf.isDefaultGateway) {
        result.routes ??= [];
        for (const [fam, gw] of gws) {
          const dst = fam === 4 ? '0.0.0.0/0' : '::/0';
          if (!result.routes.some((r) => r.dst === dst && r.gw !== undefined)) result.routes.push({ dst, gw });
        }
      }
      // ConfigureIface in the container: sysctls, addresses, up, routes (append semantics).
      c.sysctl.set(`net.ipv4.conf.${ctx.ifname}.arp_notify`, '1');
      c.sysctl.set(`net.ipv6.conf.${ctx.ifname}.accept_dad`, '0');
      for (const ip of ips) addAddress(s, made.contNs, ctx.ifname, ip.address);
      linkUp(s, made.contNs, ctx.ifname);
      for (const r of result.routes ?? []) addRoute(c, ctx.ifname, r.dst, r.gw ?? gws.get(familyOf(r.dst)) ?? null);
      if (conf.isGateway) {
        for (const ip of ips) {
          if (ip.gateway === undefined) continue;
          const n = parseIpNet(ip.address)!;
          const gwCidr = `${ip.gateway}/${n.prefix}`;
          if (n.ip.family === 4) {
            const cur = h.addresses(conf.bridge);
            const same = cur.some((a) => formatIp({ family: 4, value: BigInt(a.addr) }) === ip.gateway && a.len === n.prefix);
            if (!same && cur.length > 0) {
              if (!conf.forceAddress) fail(`failed to set bridge addr: ${JSON.stringify(conf.bridge)} already has an IP address different from ${gwCidr}`);
              for (const a of [...cur]) h.fib.removeAddress(conf.bridge, a.addr, a.len);
            }
            if (!same) addAddress(s, ROOT_NETNS, conf.bridge, gwCidr);
          } else if (!hasAddress(s, ROOT_NETNS, conf.bridge, gwCidr)) {
            addAddress(s, ROOT_NETNS, conf.bridge, gwCidr);
          }
          setForwarding(h, n.ip.family);
        }
      }
      if (conf.ipMasq) for (const ip of ips) setupIpMasq(h, ip, ctx.name, ctx.containerId);
      return result;
    });
  } catch (e) {
    try {
      if (conf.ipamType !== null) delegateVerb(conf.ipamType, 'DEL', ctx.stdin, ctx);
    } finally {
      undoVeth();
    }
    throw e;
  }
}

function bridgeDel(ctx: PluginContext): void {
  const conf = loadBridgeConf(ctx);
  const prev = prevResultOf(ctx);
  const host = ctx.host();
  // Addresses to un-masquerade: the interface's own, else prevResult's (D6).
  const addrs = new Set<string>();
  for (const ip of prev?.ips ?? []) addrs.add(ip.address);
  if (ctx.netns !== '') {
    host.transact((s) => {
      const contNs = host.resolveNetns(s, ctx.netns);
      if (contNs === null) return;
      const c = s.world.netns(contNs);
      if (!c.links.has(ctx.ifname)) return;
      for (const a of c.addresses(ctx.ifname)) if (a.scope === 'global') addrs.add(`${formatIp({ family: 4, value: BigInt(a.addr) })}/${a.len}`);
      for (const a of extrasOf(s, contNs).inet6) if (a.dev === ctx.ifname && a.scope === 'global') addrs.add(`${a.local}/${a.prefixlen}`);
      deleteLink(s, contNs, ctx.ifname);
    });
  }
  if (conf.ipamType !== null) delegateVerb(conf.ipamType, 'DEL', ctx.stdin, ctx);
  if (conf.ipMasq && addrs.size > 0) {
    host.transact((s) => {
      for (const a of addrs) teardownIpMasq(s.world.netns(ROOT_NETNS), a, ctx.name, ctx.containerId);
    });
  }
}

function bridgeCheck(ctx: PluginContext): void {
  const conf = loadBridgeConf(ctx);
  const host = ctx.host();
  host.transact((s) => void openNetns(host, s, ctx.netns));
  if (conf.ipamType !== null) delegateVerb(conf.ipamType, 'CHECK', ctx.stdin, ctx);
  const prev = prevResultOf(ctx);
  if (prev === null) fail('Required prevResult missing');
  const s = host.read();
  const contNs = openNetns(host, s, ctx.netns);
  const h = s.world.netns(ROOT_NETNS);
  const c = s.world.netns(contNs);
  const itfs = prev.interfaces ?? [];
  const brIdx = itfs.findIndex((i) => i.name === conf.bridge && (i.sandbox ?? '') === '');
  const contIdx = itfs.findIndex((i) => i.name === ctx.ifname && i.sandbox === ctx.netns);
  if (brIdx < 0) fail(`Bridge interface ${conf.bridge} not found in prevResult`);
  if (contIdx < 0) fail(`Container interface ${ctx.ifname} not found in prevResult`);
  const br = h.links.get(conf.bridge);
  if (br === undefined) fail(`Error: Bridge interface ${conf.bridge} not found`);
  if (br.kind !== 'bridge') fail(`Error: Bridge interface ${conf.bridge} not a bridge device`);
  const brMac = itfs[brIdx]!.mac;
  if (brMac !== undefined && brMac !== br.mac) fail(`Bridge interface ${conf.bridge} Mac doesn't match: ${brMac}`);
  const promisc = extrasOf(s, ROOT_NETNS).promisc.includes(conf.bridge);
  if (promisc !== conf.promiscMode) fail(`Bridge interface ${conf.bridge} configured Promisc Mode ${conf.promiscMode} doesn't match current state: ${promisc} `);
  const cv = c.links.get(ctx.ifname);
  if (cv === undefined) fail(`Error: Container Interface name in prevResult: ${ctx.ifname} not found`);
  if (cv.kind !== 'veth') fail(`Error: Container interface ${ctx.ifname} not of type veth`);
  const cMac = itfs[contIdx]!.mac;
  if (cMac !== undefined && cMac !== cv.mac) fail(`Interface ${ctx.ifname} Mac ${cMac} doesn't match container Mac: ${cv.mac}`);
  const hostVeths = itfs.filter((i, k) => k !== brIdx && k !== contIdx && (i.sandbox ?? '') === '');
  const peerOk = hostVeths.some((i) => i.name === cv.peerName && cv.peerNetns === ROOT_NETNS && h.links.get(i.name)?.master === conf.bridge);
  if (!peerOk) fail(`Error: Container ${ctx.ifname} veth peer not attached to bridge ${conf.bridge}`);
  for (const ip of prev.ips ?? []) {
    if (ip.interface !== contIdx) continue;
    if (!hasAddress(s, contNs, ctx.ifname, ip.address)) fail(`Failed to match addr ${ip.address} on interface ${ctx.ifname}`);
  }
  for (const r of prev.routes ?? []) {
    if (!hasRoute(c, ctx.ifname, r.dst, r.gw ?? null)) fail(`Expected Route ${goRouteText(r.dst, r.gw ?? null)} not found in routing table`);
  }
  if (conf.ipMasq) {
    for (const ip of prev.ips ?? []) {
      if (!masqRulesPresent(h, ip.address, ctx.name, ctx.containerId)) throw new CniError(999, `masquerade rules for ${ip.address} missing in nat POSTROUTING`);
    }
  }
}

export const bridge: CniPlugin = {
  type: 'bridge',
  add: bridgeAdd,
  del: bridgeDel,
  check: bridgeCheck,
  gc(ctx) {
    const conf = loadBridgeConf(ctx);
    if (conf.ipamType !== null) delegateVerb(conf.ipamType, 'GC', ctx.stdin, ctx);
  },
  status(ctx) {
    const conf = loadBridgeConf(ctx);
    if (conf.ipamType !== null) delegateVerb(conf.ipamType, 'STATUS', ctx.stdin, ctx);
  },
};
