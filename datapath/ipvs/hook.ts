/**
 * IPVS at the netfilter hooks (ip_vs_core.c ip_vs_ops4), between the IpvsTable's decisions and the
 * stack's packet walk:
 *
 *   INPUT   98  ip_vs_reply4           a real server's reply to a local client: source back to the VIP
 *   INPUT   99  ip_vs_remote_request4  a request to a virtual service: schedule, DNAT, ip_vs_nat_xmit
 *   FORWARD 100 ip_vs_reply4           a real server's reply being forwarded to a client
 *   OUTPUT  -99 ip_vs_local_reply4     a local real server's reply
 *   OUTPUT  -98 ip_vs_local_request4   a local client's request to a virtual service
 *
 * ip_vs_nat_xmit routes the rewritten packet to the real server and sends it through LOCAL_OUT
 * (ip_vs_nat_send_or_cont → NF_HOOK(NF_INET_LOCAL_OUT, ..., dst_output)); the original hook
 * traversal ends with NF_STOLEN. A real server on this host (a local route) lets the packet go on
 * (NF_ACCEPT). skb->ipvs_property makes every IPVS hook pass the packet afterwards.
 *
 * UNVERIFIED: this machine's kernel has no IPVS; hook points and priorities are from kernel source.
 */
import type { Hook, HookVerdict } from '../netfilter/hooks.js';
import type { NetNS } from '../netns.js';
import type { Skb } from '../packet.js';
import type { Flight } from '../stack/walk.js';
import type { IpvsTrace } from './table.js';

/** What IPVS needs from the stack: its transmitter and icmp_send. */
export interface IpvsStack {
  /**
   * Route the (already rewritten) packet to its real server and send it via LOCAL_OUT; 'local'
   * when the real server is an address of this host (the packet continues where it was).
   */
  xmit(f: Flight, ns: NetNS, skb: Skb): 'sent' | 'local' | { drop: string };
  /** icmp_send(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH) back to the packet's source. */
  portUnreachable(f: Flight, ns: NetNS, skb: Skb): void;
}

interface HookDevs {
  inDev: string | null;
  outDev: string | null;
  reroute?: () => boolean;
}

const ACCEPT: HookVerdict = Object.freeze({ kind: 'accept' }) as HookVerdict;
const STOLEN: HookVerdict = Object.freeze({ kind: 'stolen', reason: 'ipvs' }) as HookVerdict;

function tracer(f: Flight, ns: NetNS, hook: Hook, skb: Skb, dev: HookDevs): IpvsTrace | null {
  if (!f.walk.tracer.enabled) return null;
  return (text, result) => f.walk.hop(ns.name, dev.inDev ?? dev.outDev, 'ipvs', skb.pkt, { hook, text, result });
}

/** Runs IPVS's functions registered at `hook`, in priority order. */
export function ipvsHook(f: Flight, ns: NetNS, hook: Hook, skb: Skb, dev: HookDevs, stack: IpvsStack): HookVerdict {
  const t = ns.ipvs;
  const cost = f.walk.cost;
  const tr = tracer(f, ns, hook, skb, dev);
  switch (hook) {
    case 'FORWARD':
      // DEVIATION: ip_vs_forward_icmp (99) is not modelled: ICMP errors about IPVS connections pass as they are.
      t.outReply(skb, cost, tr);
      return ACCEPT;
    case 'INPUT':
    case 'OUTPUT': {
      const s = skb.pkt.src, sp = skb.pkt.sport;
      t.outReply(skb, cost, tr);
      if (hook === 'OUTPUT' && (skb.pkt.src !== s || skb.pkt.sport !== sp) && dev.reroute && !dev.reroute()) {
        return { kind: 'drop', reason: 'reroute-failed' };
      }
      const r = t.inRequest(skb, cost, tr);
      switch (r.kind) {
        case 'accept': return ACCEPT;
        case 'drop': return r;
        case 'unreachable':
          stack.portUnreachable(f, ns, skb);
          return { kind: 'drop', reason: 'ipvs: no destination available' };
        case 'xmit': {
          t.natRewrite(skb, r.conn);
          const x = stack.xmit(f, ns, skb);
          if (x === 'sent') return STOLEN;
          if (x === 'local') {
            if (hook === 'OUTPUT' && dev.reroute && !dev.reroute()) return { kind: 'drop', reason: 'reroute-failed' };
            return ACCEPT;
          }
          return { kind: 'drop', reason: x.drop };
        }
      }
      return ACCEPT;
    }
    default:
      return ACCEPT;
  }
}
