/**
 * Where the plugin under test acts, and how the runner looks at what it did. A `ConformanceHost` plays
 * one node (fresh per check, so checks never see each other's leftovers): plugins run in its host
 * namespace, attachments go into sandboxes it creates, and `snapshot` reads host state for leak checks.
 */
import type { ExecOptions } from '../runner/exec.js';

export interface IfaceState {
  name: string;
  up: boolean;
  /** `address/prefixlen` of every non-link-local address. */
  addrs: string[];
}

export interface ConformanceHost {
  /** How plugins are run on this host (a netns prefix, KPATH_CNI_HOST). */
  readonly exec: ExecOptions;
  /** A directory for IPAM stores and other per-host files. */
  readonly stateDir: string;
  /** Creates a container namespace; returns the CNI_NETNS path. */
  newSandbox(): Promise<string>;
  deleteSandbox(path: string): Promise<void>;
  /** A CNI_NETNS path naming no namespace. */
  missingSandbox(): string;
  /** Interfaces of a sandbox, or of the host namespace with null. */
  interfaces(sandbox: string | null): Promise<IfaceState[]>;
  /** Routes of a sandbox as `dst via gw dev` lines. */
  routes(sandbox: string): Promise<string[]>;
  /** Host-side state (links, addresses, routes, NAT rules, the state dir) as comparable text. */
  snapshot(): Promise<string>;
  /** Takes `ifname` in the sandbox down and flushes its addresses; false when the target cannot. */
  tamper(sandbox: string, ifname: string): Promise<boolean>;
  destroy(): Promise<void>;
}

export interface ConformanceTarget {
  readonly kind: 'kernel' | 'emulated';
  newHost(): Promise<ConformanceHost>;
  /** Removes everything the target created, even after failures. */
  close(): Promise<void>;
}

/** Normalises `ip -j addr show` output into IfaceState (link-local addresses are per-MAC noise). */
export function ifacesFromIpJson(addr: unknown[]): IfaceState[] {
  return addr.map((l) => {
    const o = l as { ifname: string; flags?: string[]; operstate?: string; addr_info?: Array<{ local: string; prefixlen: number; scope?: string }> };
    return {
      name: o.ifname,
      up: (o.flags ?? []).includes('UP'),
      addrs: (o.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
    };
  });
}

export function routesFromIpJson(routes: unknown[]): string[] {
  return routes.map((r) => {
    const o = r as { dst: string; gateway?: string; dev?: string; table?: string };
    return `${o.dst}${o.gateway !== undefined ? ` via ${o.gateway}` : ''}${o.dev !== undefined ? ` dev ${o.dev}` : ''}`;
  });
}

/** iptables-save text without counters and comments, chains and rules only, sorted. */
export function normaliseIptablesSave(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':') || l.startsWith('*'))
    .map((l) => (l.startsWith(':') ? l.split(' ')[0]! : l))
    .sort();
}
