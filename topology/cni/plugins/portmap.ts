/**
 * portmap (plugins/meta/portmap, v1.1.1; spec/cni.md §11): a chained plugin that forwards host
 * ports to the container with DNAT in the nat table — the shared CNI-HOSTPORT-* chains and one
 * CNI-DN-<hash> chain per container — and passes prevResult through.
 *
 * DEVIATION: ip6tables is not modelled, so mappings of IPv6 containers add no rules. CHECK checks
 * each family it wrote rules for (the 1.1.1 binary checks IPv4 rules in ip6tables too and fails
 * every IPv4-only pod: deviation D5, not copied).
 */
import { mustParseIPv4 } from '../../../datapath/addr/ipv4.js';
import { RT_PROTO } from '../../../datapath/fib/route.js';
import { fail } from './errors.js';
import { familyOf, formatIp, networkOf, parseIp, parseIpNet } from './ip.js';
import { appendUnique, chainExists, chainHash, deleteChain, deleteRule, ensureChain, insertUnique, ipt, quoteComment, savedRules } from './netops.js';
import type { CniResult } from './result.js';
import { prevResultOf, type CniPlugin, type PluginContext } from './skel.js';
import { ROOT_NETNS } from '../host/index.js';
import type { NetNS } from '../../../datapath/netns.js';

interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP: string;
}

interface PortmapConf {
  mappings: PortMapping[];
  snat: boolean;
  markMasqBit: number;
  externalSetMarkChain: string | null;
  conditionsV4: string[];
}

function loadConf(ctx: PluginContext): PortmapConf {
  const c = ctx.conf;
  const rc = c['runtimeConfig'] as Record<string, unknown> | undefined;
  const raw = Array.isArray(rc?.['portMappings']) ? (rc!['portMappings'] as Record<string, unknown>[]) : [];
  const mappings = raw.map((m) => {
    const cp = Number(m['containerPort'] ?? 0);
    const hp = Number(m['hostPort'] ?? 0);
    if (!(cp > 0)) fail(`failed to parse config: Invalid container port number: ${cp}`);
    if (!(hp > 0)) fail(`failed to parse config: Invalid host port number: ${hp}`);
    return { hostPort: hp, containerPort: cp, protocol: String(m['protocol'] ?? 'tcp').toLowerCase(), hostIP: typeof m['hostIP'] === 'string' ? m['hostIP'] : '' };
  });
  const ext = typeof c['externalSetMarkChain'] === 'string' ? (c['externalSetMarkChain'] as string) : null;
  if (ext !== null && c['markMasqBit'] !== undefined) fail('failed to parse config: Cannot specify externalSetMarkChain and markMasqBit');
  const bit = c['markMasqBit'] === undefined ? 13 : Number(c['markMasqBit']);
  if (!Number.isInteger(bit) || bit < 0 || bit > 31) fail(`failed to parse config: MasqMarkBit must be between 0 and 31`);
  return {
    mappings,
    snat: c['snat'] === undefined ? true : c['snat'] === true,
    markMasqBit: bit,
    externalSetMarkChain: ext,
    conditionsV4: Array.isArray(c['conditionsV4']) ? (c['conditionsV4'] as string[]) : [],
  };
}

function dnChain(ctx: PluginContext): string {
  return `CNI-DN-${chainHash(ctx.name, ctx.containerId).slice(0, 21)}`;
}

function markHex(bit: number): string {
  const m = (1 << bit) >>> 0;
  return `0x${m.toString(16)}/0x${m.toString(16)}`;
}

/** The container's IPv4 address (host/prefix) from prevResult, as getContainerIPs picks it. */
function containerAddress(prev: CniResult, ctx: PluginContext): string | null {
  const itfs = prev.interfaces ?? [];
  for (const ip of prev.ips ?? []) {
    if (familyOf(ip.address) !== 4) continue;
    if (ip.interface === undefined) return ip.address;
    const itf = itfs[ip.interface];
    if (itf !== undefined && itf.name === ctx.ifname && (itf.sandbox ?? '') !== '') return ip.address;
  }
  return null;
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** The rules this container needs: entry rules in CNI-HOSTPORT-DNAT and the CNI-DN chain's. */
function expectedRules(cf: PortmapConf, ctx: PluginContext, address: string): { entry: string[]; dn: string[] } {
  const chain = dnChain(ctx);
  const n = parseIpNet(address)!;
  const ip = formatIp(n.ip);
  const subnet = `${formatIp(networkOf(n))}/${n.prefix}`;
  const comment = quoteComment(`dnat name: ${JSON.stringify(ctx.name)} id: ${JSON.stringify(ctx.containerId)}`);
  const setmark = cf.externalSetMarkChain ?? 'CNI-HOSTPORT-SETMARK';
  const protos = [...new Set(cf.mappings.map((m) => m.protocol))].sort();
  const entry: string[] = [];
  for (const p of protos) {
    const ports = cf.mappings.filter((m) => m.protocol === p).map((m) => m.hostPort);
    for (const group of chunk(ports, 15)) {
      const cond = cf.conditionsV4.length > 0 ? ` ${cf.conditionsV4.join(' ')}` : '';
      entry.push(`-A CNI-HOSTPORT-DNAT -p ${p} -m comment --comment ${comment} -m multiport --dports ${group.join(',')}${cond} -j ${chain}`);
    }
  }
  const dn: string[] = [];
  for (const m of cf.mappings) {
    let d = '';
    if (m.hostIP !== '' && m.hostIP !== '0.0.0.0' && m.hostIP !== '::') {
      if (familyOf(m.hostIP) !== 4) continue; // a mapping of the other family
      d = ` -d ${formatIp(parseIp(m.hostIP)!)}/32`;
    }
    const match = `-p ${m.protocol} -m ${m.protocol} --dport ${m.hostPort}`;
    if (cf.snat) {
      dn.push(`-A ${chain} -s ${subnet}${d} ${match} -j ${setmark}`);
      dn.push(`-A ${chain} -s 127.0.0.1/32${d} ${match} -j ${setmark}`);
    }
    dn.push(`-A ${chain}${d} ${match} -j DNAT --to-destination ${ip}:${m.containerPort}`);
  }
  return { entry, dn };
}

function routeLocalnet(h: NetNS, address: string): void {
  const ip = mustParseIPv4(address.slice(0, address.indexOf('/')));
  const r = h.fib.lookup({ dst: ip, src: 0, mark: 0, iif: null, oif: null, proto: 0, sport: 0, dport: 0, tos: 0 });
  const dev = r.ok ? r.nexthop?.dev ?? null : null;
  if (dev !== null) h.sysctl.set(`net.ipv4.conf.${dev}.route_localnet`, '1');
}

export const portmap: CniPlugin = {
  type: 'portmap',
  add(ctx) {
    const cf = loadConf(ctx);
    const prev = prevResultOf(ctx);
    if (prev === null) fail('must be called as chained plugin');
    if (cf.mappings.length === 0) return prev;
    const address = containerAddress(prev, ctx);
    if (address === null) return prev;
    const host = ctx.host();
    host.transact((s) => {
      const h = s.world.netns(ROOT_NETNS);
      if (cf.snat && cf.externalSetMarkChain === null) {
        ensureChain(h, 'nat', 'CNI-HOSTPORT-SETMARK');
        appendUnique(h, 'nat', `-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark ${markHex(cf.markMasqBit)}`);
      }
      if (cf.snat) {
        ensureChain(h, 'nat', 'CNI-HOSTPORT-MASQ');
        appendUnique(h, 'nat', `-A CNI-HOSTPORT-MASQ -m mark --mark ${markHex(cf.markMasqBit)} -j MASQUERADE`);
        insertUnique(h, 'nat', '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ');
      }
      ensureChain(h, 'nat', 'CNI-HOSTPORT-DNAT');
      appendUnique(h, 'nat', '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT');
      appendUnique(h, 'nat', '-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT');
      const chain = dnChain(ctx);
      const { entry, dn } = expectedRules(cf, ctx, address);
      for (const r of savedRules(h, 'nat')) if (r.startsWith('-A CNI-HOSTPORT-DNAT ') && r.endsWith(` -j ${chain}`)) deleteRule(h, 'nat', r);
      deleteChain(h, 'nat', chain);
      ipt(h, 'nat', [`-N ${chain}`, ...dn]);
      for (const r of entry) appendUnique(h, 'nat', r);
      if (cf.snat) routeLocalnet(h, address);
    });
    void RT_PROTO;
    return prev;
  },
  del(ctx) {
    const cf = loadConf(ctx);
    if (cf.mappings.length === 0) return;
    const host = ctx.host();
    host.transact((s) => {
      const h = s.world.netns(ROOT_NETNS);
      for (const chain of [dnChain(ctx), `CNI-SN-${chainHash(ctx.name, ctx.containerId).slice(0, 21)}`]) {
        for (const r of savedRules(h, 'nat')) if (!r.startsWith(`-A ${chain} `) && r.endsWith(` -j ${chain}`)) deleteRule(h, 'nat', r);
        deleteChain(h, 'nat', chain);
      }
    });
  },
  check(ctx) {
    const cf = loadConf(ctx);
    const prev = prevResultOf(ctx);
    if (prev === null) fail('must be called as chained plugin');
    if (cf.mappings.length === 0) return;
    const address = containerAddress(prev, ctx);
    if (address === null) return;
    const h = ctx.host().read().world.netns(ROOT_NETNS);
    const chain = dnChain(ctx);
    if (!chainExists(h, 'nat', chain)) fail(`could not check ipv4 dnat: chain ${chain} not found in iptables table nat`);
    const have = savedRules(h, 'nat');
    const { entry, dn } = expectedRules(cf, ctx, address);
    for (const r of [...dn, ...entry]) if (!have.includes(r)) fail(`could not check ipv4 dnat: rule missing: ${r}`);
  },
};
