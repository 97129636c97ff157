/**
 * What the reference plugins do to a namespace through netlink and iptables, done to the emulated
 * host: open CNI_NETNS, make veth pairs, add addresses and routes, masquerade chains.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mustParseCidr, parseIPv4, prefixMask } from '../../../datapath/addr/ipv4.js';
import { makeRoute, RT_PROTO, RT_SCOPE } from '../../../datapath/fib/route.js';
import type { NetNS } from '../../../datapath/netns.js';
import { extrasOf, nextIfindex, randomMac, type EmulatedHost, type HostSession } from '../host/index.js';
import { fail } from './errors.js';
import { familyOf, formatIp, maskOf, networkOf, parseIpNet } from './ip.js';
import type { CniIpConfig } from './result.js';

/** ns.OpenNetNS: the namespace CNI_NETNS names, or the reference plugins' error. */
export function openNetns(host: EmulatedHost, s: HostSession, path: string): string {
  const name = host.resolveNetns(s, path);
  if (name === null) fail(`failed to open netns "${path}": failed to Statfs "${path}": no such file or directory`);
  return name;
}

/** ip.RandomVethName: `veth` + 8 hex digits. */
export function randomVethName(): string {
  return `veth${randomBytes(4).toString('hex')}`;
}

/** ip.SetupVeth run inside the container: CONTAINER end named ifname, host end moved to hostNs. */
export function setupVeth(s: HostSession, hostNs: string, contNs: string, ifname: string, mtu: number, contMac: string | null): { hostName: string } {
  const c = s.world.netns(contNs);
  if (c.links.has(ifname)) fail(`container veth name provided (${ifname}) already exists`);
  const h = s.world.netns(hostNs);
  let hostName = randomVethName();
  while (h.links.has(hostName)) hostName = randomVethName();
  c.addLink({ kind: 'veth', name: ifname, mtu, mac: contMac ?? randomMac(), ifindex: nextIfindex(c), peerNetns: hostNs, peerName: hostName });
  h.addLink({ kind: 'veth', name: hostName, mtu, mac: randomMac(), ifindex: nextIfindex(h), peerNetns: contNs, peerName: ifname });
  h.setUp(hostName, true);
  c.setUp(ifname, true);
  return { hostName };
}

/** `ip addr add` of a result address (IPv6 goes to the side record: kpath's datapath is IPv4). */
export function addAddress(s: HostSession, nsName: string, dev: string, cidr: string): void {
  const n = parseIpNet(cidr);
  if (n === null) fail(`invalid address ${cidr}`);
  if (n.ip.family === 4) {
    const ns = s.world.netns(nsName);
    const a = Number(n.ip.value);
    const brd = n.prefix < 31 ? ((a & prefixMask(n.prefix)) | ~prefixMask(n.prefix)) >>> 0 : null;
    ns.addAddress(dev, a, n.prefix, { broadcast: brd });
  } else {
    extrasOf(s, nsName).inet6.push({ dev, local: formatIp(n.ip), prefixlen: n.prefix, scope: 'global' });
  }
}

export function hasAddress(s: HostSession, nsName: string, dev: string, cidr: string): boolean {
  const n = parseIpNet(cidr);
  if (n === null) return false;
  if (n.ip.family === 4) return s.world.netns(nsName).addresses(dev).some((a) => a.addr === Number(n.ip.value) && a.len === n.prefix);
  return extrasOf(s, nsName).inet6.some((a) => a.dev === dev && a.local === formatIp(n.ip) && a.prefixlen === n.prefix);
}

/** `ip route append DST [via GW] dev DEV` (IPv4; IPv6 routes are not modelled). */
export function addRoute(ns: NetNS, dev: string, dst: string, gw: string | null, opts: { scope?: number; prefsrc?: number | null } = {}): void {
  if (familyOf(dst) === 6) return; // DEVIATION: kpath's FIB is IPv4; IPv6 routes are kept only in results.
  const c = mustParseCidr(dst);
  const g = gw === null ? null : parseIPv4(gw);
  const scope = opts.scope ?? (g === null ? RT_SCOPE.link : RT_SCOPE.global);
  ns.fib.addRoute(makeRoute({ dst: { addr: (c.addr & prefixMask(c.len)) >>> 0, len: c.len }, protocol: RT_PROTO.boot, scope, prefsrc: opts.prefsrc ?? null, nexthops: [{ gateway: g, dev, weight: 1, onlink: false }] }), 'append');
}

export function hasRoute(ns: NetNS, dev: string, dst: string, gw: string | null): boolean {
  if (familyOf(dst) === 6) return true;
  const c = mustParseCidr(dst);
  const g = gw === null ? null : parseIPv4(gw);
  return ns.fib.table(254).list().some((r) => r.dst.addr === ((c.addr & prefixMask(c.len)) >>> 0) && r.dst.len === c.len && r.nexthops.some((nh) => nh.dev === dev && (g === null || nh.gateway === g)));
}

/** Go's %+v of a netlink route in the reference plugins' CHECK error. */
export function goRouteText(dst: string, gw: string | null): string {
  const n = parseIpNet(dst)!;
  const mask = maskOf(n.ip.family, n.prefix).toString(16).padStart(n.ip.family === 4 ? 8 : 32, '0');
  return `{Dst:{IP:${formatIp(networkOf(n))} Mask:${mask}} GW:${gw ?? '<nil>'}}`;
}

// ---- iptables ---------------------------------------------------------------------------------

/** Runs iptables commands (in iptables-save spelling) against a table, as `iptables-restore --noflush`. */
export function ipt(ns: NetNS, table: string, lines: string[]): void {
  if (lines.length === 0) return;
  ns.xtables.restore(`*${table}\n${lines.join('\n')}\nCOMMIT\n`, { noflush: true, file: `iptables -t ${table}` });
}

export function chainExists(ns: NetNS, table: string, chain: string): boolean {
  return ns.xtables.chain(table as never, chain) !== undefined;
}

/** The table's rules as iptables-save prints them (`-A CHAIN ...`). */
export function savedRules(ns: NetNS, table: string): string[] {
  return ns.xtables.save({ tables: [table as never] }).split('\n').filter((l) => l.startsWith('-A '));
}

export function ensureChain(ns: NetNS, table: string, chain: string): void {
  if (!chainExists(ns, table, chain)) ipt(ns, table, [`-N ${chain}`]);
}

/** `iptables -A` unless the same rule is there (go-iptables AppendUnique). */
export function appendUnique(ns: NetNS, table: string, rule: string): void {
  if (!savedRules(ns, table).includes(rule)) ipt(ns, table, [rule]);
}

export function insertUnique(ns: NetNS, table: string, rule: string): void {
  if (!savedRules(ns, table).includes(rule)) ipt(ns, table, [rule.replace(/^-A /, '-I ')]);
}

/** Deletes every copy of the rule; absence is fine. */
export function deleteRule(ns: NetNS, table: string, rule: string): void {
  while (savedRules(ns, table).includes(rule)) ipt(ns, table, [rule.replace(/^-A /, '-D ')]);
}

export function deleteChain(ns: NetNS, table: string, chain: string): void {
  if (!chainExists(ns, table, chain)) return;
  ipt(ns, table, [`-F ${chain}`, `-X ${chain}`]);
}

/** utils.FormatChainName / MustFormatChainNameWithPrefix: prefix + SHA-512(name+id) hex. */
export function chainHash(name: string, id: string): string {
  return createHash('sha512').update(name + id).digest('hex');
}

export function quoteComment(c: string): string {
  return `"${c.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * ip.SetupIPMasq (plugins/pkg/ip/ipmasq_linux.go): chain CNI-<24 hex of SHA-512(network+container)>,
 * comment `name: "<network>" id: "<container>"`.
 */
export function masqChain(network: string, containerId: string): { chain: string; comment: string } {
  return { chain: `CNI-${chainHash(network, containerId).slice(0, 24)}`, comment: `name: ${JSON.stringify(network)} id: ${JSON.stringify(containerId)}` };
}

export function setupIpMasq(ns: NetNS, ip: CniIpConfig, network: string, containerId: string): void {
  const n = parseIpNet(ip.address)!;
  if (n.ip.family === 6) return; // DEVIATION: ip6tables is not modelled on the emulated host.
  const { chain, comment } = masqChain(network, containerId);
  const c = quoteComment(comment);
  ensureChain(ns, 'nat', chain);
  appendUnique(ns, 'nat', `-A ${chain} -d ${formatIp(networkOf(n))}/${n.prefix} -m comment --comment ${c} -j ACCEPT`);
  appendUnique(ns, 'nat', `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment ${c} -j MASQUERADE`);
  appendUnique(ns, 'nat', `-A POSTROUTING -s ${formatIp(n.ip)}/32 -m comment --comment ${c} -j ${chain}`);
}

/**
 * ip.TeardownIPMasq. The chain is removed only when no other attachment of the container still
 * jumps to it (the 1.1.1 binaries fail with CHAIN_DEL busy instead: deviation D7).
 */
export function teardownIpMasq(ns: NetNS, address: string, network: string, containerId: string): void {
  const n = parseIpNet(address);
  if (n === null || n.ip.family === 6) return;
  const { chain, comment } = masqChain(network, containerId);
  const c = quoteComment(comment);
  deleteRule(ns, 'nat', `-A POSTROUTING -s ${formatIp(n.ip)}/32 -m comment --comment ${c} -j ${chain}`);
  deleteRule(ns, 'nat', `-A POSTROUTING -s ${formatIp(n.ip)}/${n.prefix} -m comment --comment ${c} -j ${chain}`);
  if (!savedRules(ns, 'nat').some((r) => r.endsWith(` -j ${chain}`) && !r.startsWith(`-A ${chain} `))) deleteChain(ns, 'nat', chain);
}

export function masqRulesPresent(ns: NetNS, address: string, network: string, containerId: string): boolean {
  const n = parseIpNet(address);
  if (n === null || n.ip.family === 6) return true;
  const { chain, comment } = masqChain(network, containerId);
  return savedRules(ns, 'nat').includes(`-A POSTROUTING -s ${formatIp(n.ip)}/32 -m comment --comment ${quoteComment(comment)} -j ${chain}`);
}

export function setForwarding(ns: NetNS, family: 4 | 6): void {
  if (family === 4) ns.sysctl.set('net.ipv4.ip_forward', '1');
  else ns.sysctl.set('net.ipv6.conf.all.forwarding', '1');
}
