/**
 * link.json (`ip -j -d link show`) into CaptureLink records. The kind comes from
 * linkinfo.info_kind (iproute2's print_linkinfo); bridge options from info_data (IFLA_BR_*),
 * bridge-port options from info_slave_data (IFLA_BRPORT_*), vxlan from info_data (IFLA_VXLAN_*).
 * Keys that only describe queues, offloads or statistics are known and ignored; any other key is a
 * warning.
 */
import type { LinkKind } from '../../../datapath/link/types.js';
import type { BridgeOptions, BridgePortOptions, CaptureLink, CaptureWarning, VethPeerRef, VxlanOptions } from '../types.js';
import { eachObject, parseJsonText, topArray, type Fields, type Parsed } from './json.js';

/** Top-level keys kpath reads, or knows to be irrelevant to forwarding. */
const KNOWN = new Set([
  'ifindex', 'ifname', 'flags', 'mtu', 'address', 'operstate', 'master', 'link', 'link_index',
  'link_netnsid', 'linkinfo', 'link_type',
  // irrelevant to the datapath kpath models: queueing, offloads, naming, counters
  'qdisc', 'linkmode', 'group', 'txqlen', 'broadcast', 'promiscuity', 'allmulti', 'min_mtu', 'max_mtu',
  'inet6_addr_gen_mode', 'num_tx_queues', 'num_rx_queues', 'gso_max_size', 'gso_max_segs', 'tso_max_size',
  'tso_max_segs', 'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size', 'parentbus', 'parentdev',
  'altnames', 'permaddr', 'ifalias', 'proto_down', 'proto_down_reason', 'netns-immutable', 'event',
  'stats', 'stats64', 'carrier_changes', 'carrier_up_count', 'carrier_down_count', 'phys_port_id',
  'phys_port_name', 'phys_switch_id', 'vfinfo_list', 'xdp', 'addr_info', 'af_spec',
]);

/** info_kind values kpath models, and how. */
const KIND_BY_INFO: Record<string, LinkKind> = {
  veth: 'veth', bridge: 'bridge', vxlan: 'vxlan', dummy: 'dummy', ipip: 'ipip', tun: 'tun',
};

export function parseLinkJson(text: string, file = 'link.json'): Parsed<CaptureLink[]> {
  const warnings: CaptureWarning[] = [];
  const arr = topArray(parseJsonText(text, file), file);
  const links: CaptureLink[] = [];
  eachObject(arr, file, warnings, (f) => {
    const link = parseLink(f);
    if (link) links.push(link);
  });
  return { value: links, warnings };
}

function parseLink(f: Fields): CaptureLink | null {
  const ifindex = f.int('ifindex', true, 1, 0x7fffffff);
  const name = f.str('ifname', true);
  if (ifindex === undefined || name === undefined) {
    f.warn(null, 'link without ifindex or ifname skipped');
    return null;
  }
  f.unknownKeys(KNOWN);
  const flags = f.strArray('flags') ?? [];
  const linkType = f.str('link_type');
  const info = f.object('linkinfo');
  const infoKind = info?.str('info_kind') ?? null;

  let kind: LinkKind | 'other';
  if (linkType === 'loopback' || flags.includes('LOOPBACK')) kind = 'loopback';
  else if (infoKind !== null && KIND_BY_INFO[infoKind] !== undefined) kind = KIND_BY_INFO[infoKind]!;
  else {
    kind = 'other';
    f.warn(info ? 'linkinfo.info_kind' : null,
      `link "${name}": kind ${infoKind === null ? '(plain device)' : `"${infoKind}"`} is not modelled by kpath`);
  }

  const link: CaptureLink = {
    ifindex, name, kind, infoKind,
    mtu: f.int('mtu', true, 0, 0xffffffff) ?? 1500,
    mac: f.str('address') ?? '00:00:00:00:00:00',
    up: flags.includes('UP'),
    operstate: f.str('operstate') ?? 'UNKNOWN',
    master: f.str('master') ?? null,
    peer: null, bridge: null, port: null, vxlan: null,
  };

  if (kind === 'veth') link.peer = vethPeer(f, name);
  const data = info?.object('info_data');
  if (kind === 'bridge') link.bridge = bridgeOptions(data, f, name);
  if (kind === 'vxlan') link.vxlan = vxlanOptions(data, f, name);

  const slaveKind = info?.str('info_slave_kind');
  if (slaveKind !== undefined) {
    if (slaveKind === 'bridge') link.port = portOptions(info?.object('info_slave_data'), name);
    else f.warn('linkinfo.info_slave_kind', `link "${name}" is enslaved to a "${slaveKind}", not modelled by kpath`);
  }
  if (link.master !== null && slaveKind === undefined) {
    f.warn('master', `link "${name}" has master "${link.master}" but no bridge-port data; default port options assumed`);
    link.port = { hairpin: false, learning: true, state: 'forwarding', isolated: false };
  }
  return link;
}

function vethPeer(f: Fields, name: string): VethPeerRef | null {
  const netnsid = f.int('link_netnsid', false, 0, 0x7fffffff);
  const ifindex = f.int('link_index', false, 1, 0x7fffffff);
  // `link` is the peer's name when it lives in the same namespace, else "ifNN" or absent.
  const peerName = f.str('link');
  if (netnsid === undefined && ifindex === undefined && peerName === undefined) {
    f.warn(null, `veth "${name}" without a peer reference (link, link_index, link_netnsid)`);
    return null;
  }
  return { netnsid: netnsid ?? null, ifindex: ifindex ?? null, name: netnsid === undefined ? (peerName ?? null) : null };
}

function bridgeOptions(d: Fields | undefined, f: Fields, name: string): BridgeOptions {
  if (!d) {
    f.warn('linkinfo', `bridge "${name}" without info_data (captured without -d?); defaults assumed`);
    return { nfCallIptables: false, ageingTimeMs: 300_000, vlanFiltering: false, stpState: 0 };
  }
  const vlanFiltering = d.flag('vlan_filtering') ?? false;
  if (vlanFiltering) d.warn('vlan_filtering', `bridge "${name}" filters VLANs; kpath does not model VLANs`);
  const stpState = d.int('stp_state') ?? 0;
  if (stpState !== 0) d.warn('stp_state', `bridge "${name}" runs STP; kpath treats every port as forwarding`);
  const ageing = d.int('ageing_time');
  return {
    nfCallIptables: d.flag('nf_call_iptables') ?? false,
    ageingTimeMs: ageing === undefined ? 300_000 : ageing * 10,
    vlanFiltering,
    stpState,
  };
}

function portOptions(d: Fields | undefined, name: string): BridgePortOptions {
  if (!d) return { hairpin: false, learning: true, state: 'forwarding', isolated: false };
  const state = d.str('state') ?? 'forwarding';
  if (state !== 'forwarding') d.warn('state', `bridge port "${name}" is ${state}; it will not forward frames`);
  const isolated = d.flag('isolated') ?? false;
  if (isolated) d.warn('isolated', `bridge port "${name}" is isolated; kpath does not model port isolation`);
  return { hairpin: d.flag('hairpin') ?? false, learning: d.flag('learning') ?? true, state, isolated };
}

function vxlanOptions(d: Fields | undefined, f: Fields, name: string): VxlanOptions {
  if (!d) {
    f.warn('linkinfo', `vxlan "${name}" without info_data; cannot tell its VNI or port`);
    return { vni: 0, port: 8472, local: null, dev: null, remote: null, learning: true };
  }
  const remote = d.has('remote') ? d.ipv4('remote') : d.has('group') ? d.ipv4('group') : undefined;
  return {
    vni: d.int('id', true, 0, 0xffffff) ?? 0,
    // iproute2 omits `port` when it is the kernel default (IANA 4789 is printed; 0 means 8472 in old kernels).
    port: d.int('port', false, 0, 65535) ?? 4789,
    local: d.ipv4('local') ?? null,
    dev: d.str('link') ?? null,
    remote: remote ?? null,
    learning: d.flag('learning') ?? true,
  };
}
