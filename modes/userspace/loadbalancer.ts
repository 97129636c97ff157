/**
 * The userspace proxier's load balancer (pkg/proxy/userspace/roundrobin.go LoadBalancerRR, release
 * 1.22): per service port a list of "IP:port" endpoints, shuffled whenever the set changes, taken
 * round robin from index 0; with ClientIP affinity, a client IP keeps the endpoint it last got
 * while it comes back within the timeout.
 */
import type { IPv4 } from '../../datapath/addr/ipv4.js';
import type { Clock, Rng } from '../../datapath/util/rng.js';

/** An endpoint: its "IP:port" string is its identity (as in kube-proxy); the numbers are parsed once. */
export interface LbEndpoint {
  readonly key: string;
  readonly ip: IPv4;
  readonly port: number;
}

interface Affinity {
  endpoint: LbEndpoint;
  /** Clock milliseconds of the last connection that used it. */
  lastUsed: number;
}

interface BalancerState {
  endpoints: LbEndpoint[];
  index: number;
  clientIP: boolean;
  ttlSeconds: number;
  /** Client IP → affinity (kube-proxy keys it by the dotted string; the same thing). */
  affinity: Map<IPv4, Affinity>;
}

export class LoadBalancerRR {
  private readonly services = new Map<string, BalancerState>();

  constructor(private readonly rng: Rng, private readonly clock: Clock) {}

  /** NewService: affinity settings of a service port (a ttl of 0 means the 10800 s default). */
  setService(spn: string, clientIP: boolean, ttlSeconds: number): void {
    const st = this.state(spn);
    st.clientIP = clientIP;
    st.ttlSeconds = ttlSeconds === 0 ? 10800 : ttlSeconds;
  }

  deleteService(spn: string): void {
    this.services.delete(spn);
  }

  /**
   * OnEndpointsUpdate for one port: an unchanged set (in any order) keeps the order and index;
   * a changed one drops affinities to vanished endpoints, is shuffled and restarts at index 0.
   */
  setEndpoints(spn: string, endpoints: readonly LbEndpoint[]): void {
    const st = this.state(spn);
    if (sameSet(st.endpoints, endpoints)) return;
    const keep = new Set(endpoints.map((e) => e.key));
    for (const [ip, a] of st.affinity) if (!keep.has(a.endpoint.key)) st.affinity.delete(ip);
    if (endpoints.length === 0) {
      // resetService: no endpoints left also forgets every client.
      st.affinity.clear();
    }
    st.endpoints = shuffle(endpoints, this.rng);
    st.index = 0;
  }

  /** The current order (after the shuffle), for the trace and tests. */
  endpoints(spn: string): readonly LbEndpoint[] {
    return this.services.get(spn)?.endpoints ?? [];
  }

  /**
   * NextEndpoint: null when the service port has no endpoints (ErrMissingEndpoints).
   * `affinityReset` is set by the dialer after a failed attempt.
   */
  nextEndpoint(spn: string, clientIP: IPv4, affinityReset = false): LbEndpoint | null {
    const st = this.services.get(spn);
    if (st === undefined || st.endpoints.length === 0) return null;
    const now = this.clock.now();
    if (st.clientIP && !affinityReset) {
      const a = st.affinity.get(clientIP);
      // Go compares whole seconds: int(time.Since(lastUsed).Seconds()) < ttlSeconds.
      if (a !== undefined && Math.floor((now - a.lastUsed) / 1000) < st.ttlSeconds) {
        a.lastUsed = now;
        return a.endpoint;
      }
    }
    const endpoint = st.endpoints[st.index]!;
    st.index = (st.index + 1) % st.endpoints.length;
    if (st.clientIP) st.affinity.set(clientIP, { endpoint, lastUsed: now });
    return endpoint;
  }

  private state(spn: string): BalancerState {
    let st = this.services.get(spn);
    if (st === undefined) {
      st = { endpoints: [], index: 0, clientIP: false, ttlSeconds: 10800, affinity: new Map() };
      this.services.set(spn, st);
    }
    return st;
  }
}

function sameSet(a: readonly LbEndpoint[], b: readonly LbEndpoint[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map((e) => e.key));
  return b.every((x) => s.has(x.key));
}

/**
 * util.ShuffleStrings: a Fisher-Yates shuffle (Go's rand.Intn(i+1) from the top down), here
 * drawing from the world's seeded generator.
 */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
