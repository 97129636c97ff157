/**
 * ptp (plugins/main/ptp, v1.1.1; spec/cni.md §9): a veth pair without a bridge. The container
 * reaches everything through the gateway address, which every pod's host veth carries as /32;
 * the host reaches the pod through a /32 host route on its veth.
 */
import { RT_SCOPE } from '../../../datapath/fib/route.js';
import { fail } from './errors.js';
import { delegateAdd, delegateVerb } from './delegate.js';
import { familyOf, formatIp, networkOf, parseIpNet } from './ip.js';
import { addAddress, addRoute, goRouteText, hasAddress, hasRoute, openNetns, setForwarding, setupIpMasq, setupVeth, teardownIpMasq } from './netops.js';
import type { CniResult } from './result.js';
import { prevResultOf, type CniPlugin, type PluginContext } from './skel.js';
import { parseDns } from './bridge.js';
import { deleteLink, extrasOf, linkUp, ROOT_NETNS } from '../host/index.js';

function ipamType(ctx: PluginContext): string {
  const ipam = ctx.conf['ipam'] as Record<string, unknown> | undefined;
  return typeof ipam?.['type'] === 'string' ? (ipam['type'] as string) : '';
}

function conf(ctx: PluginContext) {
  const c = ctx.conf;
  return { ipMasq: c['ipMasq'] === true, mtu: typeof c['mtu'] === 'number' && c['mtu'] > 0 ? (c['mtu'] as number) : 1500, dns: parseDns(c['dns']) };
}

function ptpAdd(ctx: PluginContext): CniResult {
  const cf = conf(ctx);
  const ipam = ipamType(ctx);
  const host = ctx.host();
  const r = delegateAdd(ipam, ctx.stdin, ctx);
  if ((r.ips ?? []).length === 0) fail('IPAM plugin returned missing IP config');
  try {
    return host.transact((s) => {
      const contNs = openNetns(host, s, ctx.netns);
      const h = s.world.netns(ROOT_NETNS);
      const c = s.world.netns(contNs);
      for (const ip of r.ips!) setForwarding(h, familyOf(ip.address));
      const { hostName } = setupVeth(s, ROOT_NETNS, contNs, ctx.ifname, cf.mtu, null);
      const ips = r.ips!.map((ip) => ({ ...ip, interface: 1 }));
      for (const ip of ips) addAddress(s, contNs, ctx.ifname, ip.address);
      linkUp(s, contNs, ctx.ifname);
      for (const ip of ips) {
        const n = parseIpNet(ip.address)!;
        if (n.ip.family !== 4 || ip.gateway === undefined) continue;
        const src = Number(n.ip.value);
        const net = `${formatIp(networkOf(n))}/${n.prefix}`;
        // Replace the kernel's connected route by one through the gateway.
        c.fib.table(254).deleteWhere((rt) => rt.protocol === 2 && rt.nexthops.some((nh) => nh.dev === ctx.ifname));
        addRoute(c, ctx.ifname, `${ip.gateway}/32`, null, { scope: RT_SCOPE.link, prefsrc: src });
        addRoute(c, ctx.ifname, net, ip.gateway, { prefsrc: src });
      }
      for (const rt of r.routes ?? []) {
        const gw = rt.gw ?? ips.find((ip) => familyOf(ip.address) === familyOf(rt.dst))?.gateway ?? null;
        addRoute(c, ctx.ifname, rt.dst, gw);
      }
      for (const ip of ips) {
        if (ip.gateway === undefined) continue;
        const n = parseIpNet(ip.address)!;
        addAddress(s, ROOT_NETNS, hostName, `${ip.gateway}/${n.ip.family === 4 ? 32 : 128}`);
        addRoute(h, hostName, `${formatIp(n.ip)}/${n.ip.family === 4 ? 32 : 128}`, null, { scope: RT_SCOPE.host });
      }
      if (cf.ipMasq) for (const ip of ips) setupIpMasq(h, ip, ctx.name, ctx.containerId);
      const hv = h.link(hostName);
      const cv = c.link(ctx.ifname);
      const out: CniResult = { interfaces: [{ name: hv.name, mac: hv.mac }, { name: cv.name, mac: cv.mac, sandbox: ctx.netns }], ips, dns: cf.dns };
      if ((r.routes ?? []).length > 0) out.routes = r.routes!;
      return out;
    });
  } catch (e) {
    delegateVerb(ipam, 'DEL', ctx.stdin, ctx);
    throw e;
  }
}

export const ptp: CniPlugin = {
  type: 'ptp',
  add: ptpAdd,
  del(ctx) {
    const cf = conf(ctx);
    const host = ctx.host();
    delegateVerb(ipamType(ctx), 'DEL', ctx.stdin, ctx);
    const addrs = new Set<string>((prevResultOf(ctx)?.ips ?? []).map((ip) => ip.address));
    host.transact((s) => {
      const contNs = ctx.netns === '' ? null : host.resolveNetns(s, ctx.netns);
      if (contNs !== null && s.world.netns(contNs).links.has(ctx.ifname)) {
        const c = s.world.netns(contNs);
        for (const a of c.addresses(ctx.ifname)) addrs.add(`${formatIp({ family: 4, value: BigInt(a.addr) })}/${a.len}`);
        for (const a of extrasOf(s, contNs).inet6) if (a.dev === ctx.ifname && a.scope === 'global') addrs.add(`${a.local}/${a.prefixlen}`);
        deleteLink(s, contNs, ctx.ifname);
      }
      if (cf.ipMasq) for (const a of addrs) teardownIpMasq(s.world.netns(ROOT_NETNS), a, ctx.name, ctx.containerId);
    });
  },
  check(ctx) {
    const host = ctx.host();
    host.transact((s) => void openNetns(host, s, ctx.netns));
    delegateVerb(ipamType(ctx), 'CHECK', ctx.stdin, ctx);
    const prev = prevResultOf(ctx);
    if (prev === null) fail('ptp: Required prevResult missing');
    const s = host.read();
    const contNs = openNetns(host, s, ctx.netns);
    const c = s.world.netns(contNs);
    const itfs = prev.interfaces ?? [];
    const idx = itfs.findIndex((i) => i.name === ctx.ifname && i.sandbox === ctx.netns);
    if (idx < 0) fail(`Container interface ${ctx.ifname} not found in prevResult`);
    const cv = c.links.get(ctx.ifname);
    if (cv === undefined) fail(`Error: Container Interface name in prevResult: ${ctx.ifname} not found`);
    if (cv.kind !== 'veth') fail(`Error: Container interface ${ctx.ifname} not of type veth`);
    const mac = itfs[idx]!.mac;
    if (mac !== undefined && mac !== cv.mac) fail(`Interface ${ctx.ifname} Mac ${mac} doesn't match container Mac: ${cv.mac}`);
    for (const ip of prev.ips ?? []) {
      if (ip.interface === idx && !hasAddress(s, contNs, ctx.ifname, ip.address)) fail(`Failed to match addr ${ip.address} on interface ${ctx.ifname}`);
    }
    for (const r of prev.routes ?? []) {
      if (!hasRoute(c, ctx.ifname, r.dst, r.gw ?? null)) fail(`Expected Route ${goRouteText(r.dst, r.gw ?? null)} not found in routing table`);
    }
  },
  gc(ctx) {
    delegateVerb(ipamType(ctx), 'GC', ctx.stdin, ctx);
  },
  status(ctx) {
    delegateVerb(ipamType(ctx), 'STATUS', ctx.stdin, ctx);
  },
};
