/**
 * The records a capture of a real host parses into (spec/capture.md). One `CaptureNamespace` per
 * captured network namespace; the files kpath parses elsewhere (iptables-save, ipset save, routes,
 * rules, nft, ipvsadm, conntrack) are kept as raw text for their own parsers.
 */
import type { IPv4 } from '../../datapath/addr/ipv4.js';
import type { LinkKind } from '../../datapath/link/types.js';

/** Something in a capture kpath did not understand: reported, never silently dropped. */
export interface CaptureWarning {
  /** File inside the capture, e.g. `node1/link.json`. */
  file: string;
  /** JSON path (`$[3].linkinfo.info_kind`) for JSON files. */
  path?: string;
  /** 1-based line for text files. */
  line?: number;
  message: string;
}

/** A capture that cannot be read at all: unreadable file, malformed JSON, wrong top-level shape. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly file: string,
    /** JSON path or `line:col`. */
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${file}${where ? `:${where}` : ''}: ${detail}`);
  }
}

// ---------------------------------------------------------------- manifest.json

export interface ManifestNamespace {
  netns: string;
  brNetfilter: boolean;
  /** This namespace's own `ip netns list-id`: nsid -> peer namespace name (null: unnamed). */
  listId: Map<number, string | null>;
}

export interface CaptureManifest {
  format: 1;
  kernel: string;
  files: string[];
  namespaces: ManifestNamespace[];
}

// ---------------------------------------------------------------- link.json (ip -j -d link show)

/** Options of a bridge device (IFLA_BR_*). */
export interface BridgeOptions {
  nfCallIptables: boolean;
  /** ageing_time: iproute2 prints centiseconds. */
  ageingTimeMs: number;
  vlanFiltering: boolean;
  stpState: number;
}

/** Options of a link enslaved to a bridge (IFLA_BRPORT_*). */
export interface BridgePortOptions {
  hairpin: boolean;
  learning: boolean;
  /** STP port state: forwarding, disabled, blocking, ... */
  state: string;
  isolated: boolean;
}

export interface VxlanOptions {
  vni: number;
  port: number;
  local: IPv4 | null;
  /** Underlay device name (info_data.link). */
  dev: string | null;
  /** Default remote (`remote`) or multicast group (`group`). */
  remote: IPv4 | null;
  learning: boolean;
}

/** Where the other end of a veth is, as link.json says it. */
export interface VethPeerRef {
  /** link_netnsid: an nsid of this namespace's list-id table; null = same namespace. */
  netnsid: number | null;
  /** link_index: the peer's ifindex in that namespace. */
  ifindex: number | null;
  /** `link`: the peer's name, printed when it lives in the same namespace. */
  name: string | null;
}

export interface CaptureLink {
  ifindex: number;
  name: string;
  /** kpath's kind, or 'other' for a kind kpath does not model (with a warning). */
  kind: LinkKind | 'other';
  /** linkinfo.info_kind as printed (null for loopback and plain ethernet). */
  infoKind: string | null;
  mtu: number;
  mac: string;
  /** IFF_UP (administratively up). */
  up: boolean;
  operstate: string;
  master: string | null;
  peer: VethPeerRef | null;
  bridge: BridgeOptions | null;
  port: BridgePortOptions | null;
  vxlan: VxlanOptions | null;
}

// ---------------------------------------------------------------- addr.json

export interface CaptureAddress {
  local: IPv4;
  prefixlen: number;
  scope: 'global' | 'link' | 'host' | 'site' | 'nowhere';
  secondary: boolean;
  broadcast: IPv4 | null;
  /** Point-to-point peer (`peer`), when set. */
  address: IPv4 | null;
  label: string | null;
}

export interface CaptureAddressLink {
  ifindex: number;
  ifname: string;
  inet: CaptureAddress[];
  /** IPv6 addresses, kept as text: kpath models IPv4 only. */
  inet6: string[];
}

// ---------------------------------------------------------------- neigh.json

export type NeighState =
  | 'PERMANENT' | 'NOARP' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'INCOMPLETE' | 'FAILED' | 'NONE';

export interface CaptureNeighbour {
  dst: IPv4;
  dev: string;
  lladdr: string | null;
  state: NeighState[];
  router: boolean;
  proxy: boolean;
}

// ---------------------------------------------------------------- fdb.json

export interface CaptureFdbEntry {
  mac: string;
  ifname: string;
  master: string | null;
  /** VXLAN remote VTEP. */
  dst: IPv4 | null;
  vni: number | null;
  /** '' (learnt), 'permanent', 'static'. */
  state: string;
  /** `self` (the device's own table) and other flags as printed. */
  flags: string[];
}

// ---------------------------------------------------------------- per namespace, whole capture

export interface CaptureRawFiles {
  iptablesSave: string | null;
  ipsetSave: string | null;
  routeJson: string | null;
  ruleJson: string | null;
  nft: string | null;
  ipvsadm: string | null;
  conntrack: string | null;
}

export interface CaptureNamespace {
  name: string;
  brNetfilter: boolean;
  listId: Map<number, string | null>;
  /** null when the file is absent. */
  links: CaptureLink[] | null;
  addresses: CaptureAddressLink[] | null;
  neighbours: CaptureNeighbour[] | null;
  fdb: CaptureFdbEntry[] | null;
  sysctls: Map<string, string> | null;
  /** Resolved veth peers: ifname -> {netns, name}; absent when the peer was not captured. */
  vethPeers: Map<string, { netns: string; name: string }>;
  raw: CaptureRawFiles;
}

export interface CaptureData {
  dir: string;
  manifest: CaptureManifest;
  namespaces: Map<string, CaptureNamespace>;
  warnings: CaptureWarning[];
}

// ---------------------------------------------------------------- the oracle's probes.json

export type ObservedVerdict = 'delivered' | 'rejected' | 'ttl-exceeded' | 'dropped';

/** `final` as spec/capture.md defines it. */
export interface ObservedFinal {
  netns: string;
  interface: string | null;
  src: string | null;
  sport: number | null;
  dst: string;
  dport: number | null;
  ttl: number | null;
  reason: string | null;
}

/** One probe sent in a real namespace and its real fate (fixtures/captures/<scenario>/probes.json). */
export interface ObservedProbe {
  id: string;
  description: string;
  /** The equivalent `kpath trace --capture` command line. */
  command: string;
  probe: {
    from: string;
    proto: 'tcp' | 'udp' | 'icmp';
    dst: string;
    dport?: number;
    src?: string;
    sport?: number;
    ttl?: number;
    mark?: number;
    size?: number;
    noDf?: boolean;
    nondeterministic?: boolean;
  };
  observed: { verdict: ObservedVerdict; final: ObservedFinal };
  /** What the sending socket reported. */
  socket: { phase: string | null; errno: string | null; reply: string | null };
  /** Anything the tools could not determine, or that surprised. */
  notes: string[];
  /** For nondeterministic probes: the second run's observation. */
  observedAgain?: { verdict: ObservedVerdict; final: ObservedFinal };
}

export interface ObservedProbes {
  scenario: string;
  description: string;
  kernel: string;
  namespacePrefix: string;
  probes: ObservedProbe[];
}
