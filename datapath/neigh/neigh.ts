/**
 * The neighbour (ARP) table of a namespace: `ip neigh` entries per device. Static entries come from
 * captures or overlays (flannel's PERMANENT entries for remote VTEPs); dynamic ones are learnt when
 * the stack resolves a next hop on an L2 segment (stack/arp.ts).
 */
import type { IPv4 } from '../addr/ipv4.js';

export type NeighState = 'PERMANENT' | 'NOARP' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'INCOMPLETE';

export interface NeighEntry {
  dev: string;
  ip: IPv4;
  mac: string | null;
  state: NeighState;
  /** NTF_PROXY: a proxy ARP entry (`ip neigh add proxy`). */
  proxy: boolean;
}

export class NeighTable {
  private readonly byDev = new Map<string, Map<IPv4, NeighEntry>>();

  set(e: NeighEntry): void {
    let m = this.byDev.get(e.dev);
    if (m === undefined) {
      m = new Map();
      this.byDev.set(e.dev, m);
    }
    m.set(e.ip, e);
  }

  get(dev: string, ip: IPv4): NeighEntry | undefined {
    return this.byDev.get(dev)?.get(ip);
  }

  delete(dev: string, ip: IPv4): void {
    this.byDev.get(dev)?.delete(ip);
  }

  entries(): NeighEntry[] {
    return [...this.byDev.values()].flatMap((m) => [...m.values()]);
  }
}
