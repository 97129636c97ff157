/**
 * A kube-proxy-shaped nat table for N ClusterIP services, each with two endpoints, as kube-proxy's
 * iptables proxier (pkg/proxy/iptables/proxier.go) writes it for `-A KUBE-SERVICES ... cluster IP`
 * services without a cluster CIDR masquerade rule: per service the KUBE-SERVICES jump, the
 * KUBE-SVC chain's statistic split, and two KUBE-SEP chains (KUBE-MARK-MASQ for hairpin + DNAT).
 * That is 7 rules and 3 chains per service, the shape the reference figures were measured with.
 *
 * Chain names are kube-proxy's: `KUBE-SVC-` + the first 16 characters of base32(sha256(
 * servicePortName + protocol)), `KUBE-SEP-` + the same over servicePortName + protocol + endpoint
 * (servicePortChainName / servicePortEndpointChainName).
 */
import { createHash } from 'node:crypto';

export interface GeneratedService {
  /** `ns/svc-i:http`, kube-proxy's ServicePortName. */
  name: string;
  clusterIp: string;
  port: number;
  svcChain: string;
  sepChains: [string, string];
  endpoints: [string, string];
}

export interface GenerateOptions {
  /** Endpoint addresses the services share round-robin (pods on the node's bridge). */
  backends: readonly string[];
  targetPort?: number;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding), enough of it for a 16-character prefix. */
function base32(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function hashName(s: string): string {
  return base32(createHash('sha256').update(s).digest()).slice(0, 16);
}

/** The i-th ClusterIP: 10.96.0.0/12 from 10.96.0.10 upward (kube-dns's .10 first). */
export function clusterIpOf(i: number): string {
  const n = 10 + i;
  return `10.${96 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

export function services(n: number, opts: GenerateOptions): GeneratedService[] {
  const targetPort = opts.targetPort ?? 8080;
  const out: GeneratedService[] = [];
  for (let i = 0; i < n; i++) {
    const name = `ns/svc-${i}:http`;
    const b = opts.backends;
    const endpoints: [string, string] = [`${b[(2 * i) % b.length]}:${targetPort}`, `${b[(2 * i + 1) % b.length]}:${targetPort}`];
    out.push({
      name,
      clusterIp: clusterIpOf(i),
      port: 80,
      svcChain: `KUBE-SVC-${hashName(name + 'tcp')}`,
      sepChains: [`KUBE-SEP-${hashName(name + 'tcp' + endpoints[0])}`, `KUBE-SEP-${hashName(name + 'tcp' + endpoints[1])}`],
      endpoints,
    });
  }
  return out;
}

/** Rules outside the per-service ones: PREROUTING, OUTPUT, POSTROUTING jumps, KUBE-MARK-MASQ,
 *  KUBE-POSTROUTING (3) and KUBE-SERVICES' final nodeports rule. */
export const FIXED_RULES = 8;
export const RULES_PER_SERVICE = 7;

/** The nat table as iptables-save prints it: built-in chains, then user chains sorted by name,
 *  each chain's rules together (so `save(restore(text)) === text`). */
export function natTable(svcs: readonly GeneratedService[]): string {
  const rules = new Map<string, string[]>();
  const add = (chain: string, rest: string): void => {
    let list = rules.get(chain);
    if (list === undefined) rules.set(chain, (list = []));
    list.push(`-A ${chain} ${rest}`);
  };
  for (const c of ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']) rules.set(c, []);
  add('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  add('KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  add('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  add('KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  add('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  for (const s of svcs) {
    add('KUBE-SERVICES', `-d ${s.clusterIp}/32 -p tcp -m comment --comment "${s.name} cluster IP" -m tcp --dport ${s.port} -j ${s.svcChain}`);
  }
  add('KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  for (const s of svcs) {
    add(s.svcChain, `-m comment --comment "${s.name} -> ${s.endpoints[0]}" -m statistic --mode random --probability 0.50000000000 -j ${s.sepChains[0]}`);
    add(s.svcChain, `-m comment --comment "${s.name} -> ${s.endpoints[1]}" -j ${s.sepChains[1]}`);
    for (let k = 0; k < 2; k++) {
      const ep = s.endpoints[k]!;
      const addr = ep.slice(0, ep.indexOf(':'));
      add(s.sepChains[k]!, `-s ${addr}/32 -m comment --comment "${s.name}" -j KUBE-MARK-MASQ`);
      add(s.sepChains[k]!, `-p tcp -m comment --comment "${s.name}" -m tcp -j DNAT --to-destination ${ep}`);
    }
  }
  const builtins = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'];
  const users = [...rules.keys()].filter((c) => !builtins.includes(c)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = ['*nat'];
  for (const c of builtins) out.push(`:${c} ACCEPT [0:0]`);
  for (const c of users) out.push(`:${c} - [0:0]`);
  for (const c of [...builtins, ...users]) for (const r of rules.get(c) ?? []) out.push(r);
  out.push('COMMIT');
  return out.join('\n') + '\n';
}
