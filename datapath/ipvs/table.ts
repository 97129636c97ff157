/**
 * One network namespace's IP Virtual Server table (struct netns_ipvs): virtual services hashed by
 * protocol/address/port and by firewall mark (ip_vs_svc_table, ip_vs_svc_fwm_table), their real
 * servers, and the connection table (ip_vs_conn_tab) holding connections and persistence
 * templates, with timers on the injected Clock.
 *
 * The packet-facing half (`inRequest`, `outReply`) is what ip_vs_in_hook and ip_vs_out_hook do; the
 * stack (stack/hooks.ts) calls them at the kernel's hook points and hands the packet to the
 * transmitter. UNVERIFIED: this machine's kernel has no IPVS module; everything follows
 * net/netfilter/ipvs/ip_vs_core.c, ip_vs_conn.c, ip_vs_ctl.c and ip_vs_xmit.c.
 */
import type { IpvsMatchConn } from '../netfilter/xtables/context.js';
import type { IPv4 } from '../addr/ipv4.js';
import type { CtRef } from '../conntrack/types.js';
import { hasPorts, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, type Skb } from '../packet.js';
import type { Cost } from '../trace/cost.js';
import type { Clock } from '../util/rng.js';
import { initSched, schedDestsChanged, schedule } from './sched.js';
import { IPVS_TIMEOUTS, isNewConn, tcpTransition } from './tcp.js';
import type { ConnState, FwdMethod, IpvsConn, RealServer, SchedulerName, ServiceKey, VirtualService } from './types.js';

export interface ServiceOptions {
  scheduler?: SchedulerName;
  /** -p TIMEOUT (seconds); null/undefined: not persistent. */
  persistence?: number | null;
  netmask?: IPv4;
  sched1?: boolean;
  sched2?: boolean;
}

export interface DestOptions {
  weight?: number;
  fwd?: FwdMethod;
  upperThreshold?: number;
  lowerThreshold?: number;
}

/** sysctls under net.ipv4.vs that change packet handling (kernel defaults). */
export interface IpvsSysctls {
  /** conntrack: keep netfilter conntrack entries for IPVS connections (default 0: NOTRACK). */
  conntrack: boolean;
  /** expire_nodest_conn: drop a connection whose real server was deleted at its next packet. */
  expireNodestConn: boolean;
  /** expire_quiescent_template: a template whose server has weight 0 is expired. */
  expireQuiescentTemplate: boolean;
  /** conn_reuse_mode (default 1): a new SYN on a TIME_WAIT connection is scheduled afresh. */
  connReuseMode: number;
}

/** What ip_vs_in decided for a packet. */
export type IpvsInResult =
  | { kind: 'accept' }
  /** Not ours: ACCEPT without looking further (the kernel's cheap early returns). */
  | { kind: 'drop'; reason: string }
  /** ip_vs_leave: no real server, answer ICMP port unreachable and drop. */
  | { kind: 'unreachable' }
  /** Forward through the connection's transmitter (ip_vs_nat_xmit for masquerading). */
  | { kind: 'xmit'; conn: IpvsConn };

/** What the per-packet code needs from the namespace (the IPVS table knows no stack). */
export interface IpvsTrace {
  (text: string, result: string): void;
}

/** skb->ipvs_property: the packet was already handled by IPVS; every IPVS hook lets it pass. */
const ipvsProperty = new WeakSet<Skb>();
export function markIpvsProperty(skb: Skb): void { ipvsProperty.add(skb); }
export function hasIpvsProperty(skb: Skb): boolean { return ipvsProperty.has(skb); }

function mixKey(a: number, b: number, c: number, d: number, e: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (c * 65537), 0x27d4eb2f);
  h = Math.imul(h ^ d, 0x165667b1);
  h = Math.imul(h ^ e, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

const UNTRACKED: CtRef = Object.freeze({ entry: null, dir: 'original', info: 'untracked' }) as CtRef;

export class IpvsTable {
  private readonly byAddr = new Map<number, VirtualService[]>();
  private readonly byMark = new Map<number, VirtualService>();
  /** Services in the order they were added (ipvsadm sorts its own output). */
  private readonly list: VirtualService[] = [];
  /** Connections and templates by their client-side tuple (proto, caddr, cport, vaddr, vport). */
  private readonly connIn = new Map<number, IpvsConn[]>();
  /** Connections by their real-server-side tuple (proto, daddr, dport, caddr, cport). */
  private readonly connOut = new Map<number, IpvsConn[]>();
  private readonly conns = new Set<IpvsConn>();
  private nextConnId = 1;
  private lastSweep = -1;
  readonly sysctl: IpvsSysctls = { conntrack: false, expireNodestConn: false, expireQuiescentTemplate: false, connReuseMode: 1 };

  constructor(private readonly clock: Clock) {}

  /** ipvs->enable: set once a service exists; until then the hooks do nothing at all. */
  get enabled(): boolean {
    return this.list.length > 0;
  }

  /**
   * Whether a service holds a reference on the namespace's conntrack: __ip_vs_update_dest calls
   * ip_vs_register_conntrack (nf_ct_netns_get) only for a masquerading real server of an FTP
   * service (port 21), which needs conntrack's helper. UNVERIFIED: kernel source; no IPVS here.
   */
  get usesConntrack(): boolean {
    for (const s of this.list) {
      if (s.key.kind === 'addr' && s.key.port === 21 && s.dests.some((d) => d.fwd === 'masq')) return true;
    }
    return false;
  }

  // ------------------------------------------------------------ services and real servers

  services(): readonly VirtualService[] {
    return this.list;
  }

  /** ip_vs_service_find (one table look-up). */
  findService(proto: number, addr: IPv4, port: number, fwmark = 0): VirtualService | null {
    if (fwmark !== 0) {
      const s = this.byMark.get(fwmark);
      if (s !== undefined) return s;
    }
    const bucket = this.byAddr.get(mixKey(proto, addr, port, 0, 0));
    if (bucket === undefined) return null;
    for (const s of bucket) {
      const k = s.key;
      if (k.kind === 'addr' && k.proto === proto && k.addr === addr && k.port === port) return s;
    }
    return null;
  }

  getService(key: ServiceKey): VirtualService | null {
    return key.kind === 'fwmark' ? this.byMark.get(key.fwmark) ?? null : this.findService(key.proto, key.addr, key.port);
  }

  /** ipvsadm -A */
  addService(key: ServiceKey, opts: ServiceOptions = {}): VirtualService {
    if (this.getService(key) !== null) throw new Error(`ipvs: service ${keyText(key)} exists (EEXIST)`);
    const svc: VirtualService = {
      key,
      scheduler: opts.scheduler ?? 'wlc',
      flags: { sched1: opts.sched1 ?? false, sched2: opts.sched2 ?? false },
      persistence: opts.persistence ?? null,
      netmask: opts.netmask ?? 0xffffffff,
      dests: [],
      sched: null,
    };
    svc.sched = initSched(svc);
    if (key.kind === 'fwmark') this.byMark.set(key.fwmark, svc);
    else {
      const h = mixKey(key.proto, key.addr, key.port, 0, 0);
      const b = this.byAddr.get(h);
      if (b === undefined) this.byAddr.set(h, [svc]); else b.push(svc);
    }
    this.list.push(svc);
    return svc;
  }

  /** ipvsadm -E: a new scheduler starts from fresh state. */
  editService(key: ServiceKey, opts: ServiceOptions): VirtualService {
    const svc = this.mustService(key);
    if (opts.scheduler !== undefined && opts.scheduler !== svc.scheduler) {
      svc.scheduler = opts.scheduler;
      svc.sched = initSched(svc);
    }
    if (opts.persistence !== undefined) svc.persistence = opts.persistence;
    if (opts.netmask !== undefined) svc.netmask = opts.netmask;
    if (opts.sched1 !== undefined) svc.flags.sched1 = opts.sched1;
    if (opts.sched2 !== undefined) svc.flags.sched2 = opts.sched2;
    if (svc.sched !== null) schedDestsChanged(svc, { kind: 'edit' });
    return svc;
  }

  /** ipvsadm -D: its real servers become unavailable; connections keep them until they expire. */
  delService(key: ServiceKey): void {
    const svc = this.mustService(key);
    for (const d of svc.dests) d.available = false;
    if (key.kind === 'fwmark') this.byMark.delete(key.fwmark);
    else {
      const h = mixKey(key.proto, key.addr, key.port, 0, 0);
      const b = this.byAddr.get(h)!.filter((s) => s !== svc);
      if (b.length === 0) this.byAddr.delete(h); else this.byAddr.set(h, b);
    }
    this.list.splice(this.list.indexOf(svc), 1);
  }

  /** ipvsadm -C */
  clear(): void {
    for (const s of [...this.list]) this.delService(s.key);
  }

  private mustService(key: ServiceKey): VirtualService {
    const s = this.getService(key);
    if (s === null) throw new Error(`ipvs: no service ${keyText(key)} (ESRCH)`);
    return s;
  }

  /** ipvsadm -a: __ip_vs_update_dest adds the new server at the head of svc->destinations. */
  addDest(key: ServiceKey, addr: IPv4, port: number, opts: DestOptions = {}): RealServer {
    const svc = this.mustService(key);
    if (svc.dests.some((d) => d.addr === addr && d.port === port)) throw new Error(`ipvs: real server exists (EEXIST)`);
    const d: RealServer = {
      addr, port,
      weight: opts.weight ?? 1,
      fwd: opts.fwd ?? 'route',
      activeConns: 0, inactConns: 0, persistConns: 0,
      upperThreshold: opts.upperThreshold ?? 0,
      lowerThreshold: opts.lowerThreshold ?? 0,
      overloaded: false,
      available: true,
    };
    // UNVERIFIED: list_add_rcu puts a new real server first; ipvsadm's listing sorts them anyway.
    svc.dests.unshift(d);
    schedDestsChanged(svc, { kind: 'add' });
    return d;
  }

  /** ipvsadm -e */
  editDest(key: ServiceKey, addr: IPv4, port: number, opts: DestOptions): RealServer {
    const svc = this.mustService(key);
    const d = svc.dests.find((x) => x.addr === addr && x.port === port);
    if (d === undefined) throw new Error(`ipvs: no real server (ENOENT)`);
    if (opts.weight !== undefined) d.weight = opts.weight;
    if (opts.fwd !== undefined) d.fwd = opts.fwd;
    if (opts.upperThreshold !== undefined) d.upperThreshold = opts.upperThreshold;
    if (opts.lowerThreshold !== undefined) d.lowerThreshold = opts.lowerThreshold;
    this.updateOverload(d);
    schedDestsChanged(svc, { kind: 'edit' });
    return d;
  }

  /** ipvsadm -d: the server leaves the list; connections still using it keep it (the trash list). */
  delDest(key: ServiceKey, addr: IPv4, port: number): void {
    const svc = this.mustService(key);
    const i = svc.dests.findIndex((x) => x.addr === addr && x.port === port);
    if (i < 0) throw new Error(`ipvs: no real server (ENOENT)`);
    svc.dests[i]!.available = false;
    svc.dests.splice(i, 1);
    schedDestsChanged(svc, { kind: 'del', removedAt: i });
  }

  // ------------------------------------------------------------ connections

  /** Live connections and templates (ipvsadm -Lnc). */
  connections(): IpvsConn[] {
    this.sweep();
    return [...this.conns];
  }

  /** ip_vs_conn_in_get (counted): a connection by its client-side tuple. */
  private connInGet(proto: number, caddr: IPv4, cport: number, vaddr: IPv4, vport: number, template: boolean, cost: Cost): IpvsConn | null {
    cost.ipvsLookups++;
    const b = this.connIn.get(mixKey(proto, caddr, cport, vaddr, vport));
    if (b === undefined) return null;
    const now = this.clock.now();
    for (const c of b) {
      if (c.proto === proto && c.caddr === caddr && c.cport === cport && c.vaddr === vaddr && c.vport === vport && c.template === template) {
        if (this.expired(c, now)) { this.unlink(c); return null; }
        return c;
      }
    }
    return null;
  }

  /**
   * The connection a packet belongs to, in either direction, for the xt_ipvs match (one counted
   * look-up). UNVERIFIED: xt_ipvs calls the protocol's conn_out_get; kpath looks in both directions.
   */
  connOfPacket(skb: Skb, cost: Cost): IpvsMatchConn | null {
    cost.ipvsLookups++;
    const p = skb.pkt;
    for (const c of this.connections()) {
      if (c.template || c.proto !== p.proto) continue;
      const original = c.caddr === p.src && c.cport === p.sport && ((c.daddr === p.dst && c.dport === p.dport) || (c.vaddr === p.dst && c.vport === p.dport));
      const reply = c.caddr === p.dst && c.cport === p.dport && ((c.daddr === p.src && c.dport === p.sport) || (c.vaddr === p.src && c.vport === p.sport));
      if (original || reply) {
        const fwd = c.dest.fwd;
        return { proto: c.proto, vaddr: c.vaddr, vport: c.vport, method: fwd === 'masq' ? 'masq' : fwd === 'tunnel' ? 'ipip' : 'gate', dir: original ? 'original' : 'reply' };
      }
    }
    return null;
  }

  /** ip_vs_conn_out_get (counted): a connection by the real server's side of it. */
  private connOutGet(proto: number, daddr: IPv4, dport: number, caddr: IPv4, cport: number, cost: Cost): IpvsConn | null {
    cost.ipvsLookups++;
    const b = this.connOut.get(mixKey(proto, daddr, dport, caddr, cport));
    if (b === undefined) return null;
    const now = this.clock.now();
    for (const c of b) {
      if (c.proto === proto && c.daddr === daddr && c.dport === dport && c.caddr === caddr && c.cport === cport) {
        if (this.expired(c, now)) { this.unlink(c); return null; }
        return c;
      }
    }
    return null;
  }

  /**
   * A connection's timer fired. A template still controlling live connections is re-armed for
   * another timeout (ip_vs_conn_expire: "expire_later"), so it is gone only once its timer fires
   * with nothing left under it.
   */
  private expired(c: IpvsConn, now: number): boolean {
    if (c.unlinked) return true;
    if (c.expires > now) return false;
    if (!c.template) return true;
    let t = c.expires;
    for (;;) {
      let alive = false;
      for (const x of this.conns) if (x.control === c && !x.template && x.expires > t) { alive = true; break; }
      if (!alive) return true;
      t += c.timeoutS * 1000;
      if (t > now) { c.expires = t; return false; }
    }
  }

  /** Expires what the kernel's timers would have expired by now (so schedulers read true counts). */
  private sweep(): void {
    const now = this.clock.now();
    if (now === this.lastSweep) return;
    this.lastSweep = now;
    for (const c of [...this.conns]) if (!c.template && c.expires <= now) this.unlink(c);
    for (const c of [...this.conns]) if (c.template && this.expired(c, now)) this.unlink(c);
  }

  /** ip_vs_conn_new + ip_vs_bind_dest: a new entry, counted inactive until TCP reaches ESTABLISHED. */
  private connNew(proto: number, caddr: IPv4, cport: number, vaddr: IPv4, vport: number, dest: RealServer, dport: number, template: boolean, control: IpvsConn | null): IpvsConn {
    const c: IpvsConn = {
      id: this.nextConnId++, proto, caddr, cport, vaddr, vport, daddr: dest.addr, dport, dest, template, control,
      state: template ? 'NONE' : proto === IPPROTO_UDP ? 'UDP' : 'NONE',
      inactive: true,
      timeoutS: 3,
      expires: this.clock.now() + 3000,
      nControl: 0,
      unlinked: false,
    };
    if (template) dest.persistConns++;
    else dest.inactConns++;
    if (control !== null) control.nControl++;
    this.conns.add(c);
    const hi = mixKey(proto, caddr, cport, vaddr, vport);
    const bi = this.connIn.get(hi);
    if (bi === undefined) this.connIn.set(hi, [c]); else bi.push(c);
    if (!template) {
      const ho = mixKey(proto, c.daddr, dport, caddr, cport);
      const bo = this.connOut.get(ho);
      if (bo === undefined) this.connOut.set(ho, [c]); else bo.push(c);
    }
    this.updateOverload(dest);
    return c;
  }

  private unlink(c: IpvsConn): void {
    if (!this.conns.has(c)) { c.unlinked = true; return; }
    this.conns.delete(c);
    c.unlinked = true;
    const drop = (m: Map<number, IpvsConn[]>, h: number) => {
      const b = m.get(h);
      if (b === undefined) return;
      const r = b.filter((x) => x !== c);
      if (r.length === 0) m.delete(h); else m.set(h, r);
    };
    drop(this.connIn, mixKey(c.proto, c.caddr, c.cport, c.vaddr, c.vport));
    if (!c.template) drop(this.connOut, mixKey(c.proto, c.daddr, c.dport, c.caddr, c.cport));
    // ip_vs_unbind_dest
    if (c.template) c.dest.persistConns--;
    else if (c.inactive) c.dest.inactConns--;
    else c.dest.activeConns--;
    if (c.control !== null) c.control.nControl--;
    this.updateOverload(c.dest);
  }

  /** IP_VS_DEST_F_OVERLOAD: set at the upper threshold, cleared below the lower one (ip_vs_dest_totalconns). */
  private updateOverload(d: RealServer): void {
    if (d.upperThreshold === 0) { d.overloaded = false; return; }
    const total = d.activeConns + d.inactConns;
    if (total >= d.upperThreshold) d.overloaded = true;
    else if (d.overloaded && total < (d.lowerThreshold || Math.floor((d.upperThreshold * 3) / 4))) d.overloaded = false;
  }

  /** The protocol's state_transition: new state, its timeout, and the active/inactive counters. */
  private transition(c: IpvsConn, tcpFlags: number, input: boolean): void {
    let next: ConnState;
    if (c.proto === IPPROTO_TCP) next = tcpTransition(c.state, tcpFlags, input);
    else next = 'UDP'; // UDP and (DEVIATION: SCTP's own state machine is not modelled) SCTP
    if (c.proto === IPPROTO_TCP) {
      // set_tcp_state: only ESTABLISHED counts as active.
      if (!c.inactive && next !== 'ESTABLISHED') { c.dest.activeConns--; c.dest.inactConns++; c.inactive = true; }
      else if (c.inactive && next === 'ESTABLISHED') { c.dest.activeConns++; c.dest.inactConns--; c.inactive = false; }
    }
    c.state = next;
    c.timeoutS = IPVS_TIMEOUTS[next];
    c.expires = this.clock.now() + c.timeoutS * 1000;
  }

  // ------------------------------------------------------------ the hooks

  /**
   * ip_vs_in_hook for a packet to (maybe) a virtual service: an existing connection, or — for a
   * TCP SYN or any UDP/SCTP packet to a service — a newly scheduled one (ip_vs_try_to_schedule).
   */
  inRequest(skb: Skb, cost: Cost, trace: IpvsTrace | null): IpvsInResult {
    if (!this.enabled || hasIpvsProperty(skb)) return ACCEPT;
    const p = skb.pkt;
    // Only TCP, UDP and SCTP have IPVS protocol handlers. DEVIATION: ICMP errors about IPVS
    // connections (ip_vs_in_icmp) are not translated.
    if (!hasPorts(p.proto) || p.inner !== undefined) return ACCEPT;
    this.sweep();
    let cp = this.connInGet(p.proto, p.src, p.sport, p.dst, p.dport, false, cost);
    if (cp !== null && p.proto === IPPROTO_TCP && isNewConn(p.tcpFlags)) {
      // conn_reuse_mode: a new SYN on a TIME_WAIT connection, or one whose server was quiesced
      // with expire_nodest_conn, is scheduled afresh. DEVIATION: the kernel drops this SYN when
      // the old conntrack entry is still confirmed, and schedules the client's retransmission.
      const quiesced = this.sysctl.expireNodestConn && cp.dest.weight === 0;
      if (quiesced || (this.sysctl.connReuseMode !== 0 && cp.state === 'TIME_WAIT')) {
        if (cp.nControl === 0) this.unlink(cp);
        cp = null;
      }
    }
    if (cp === null) {
      // tcp_conn_schedule: only a SYN (without RST) looks for a service; udp/sctp any packet.
      if (p.proto === IPPROTO_TCP && ((p.tcpFlags & 0x02) === 0 || (p.tcpFlags & 0x04) !== 0)) return ACCEPT;
      cost.ipvsLookups++;
      const svc = this.findService(p.proto, p.dst, p.dport, skb.mark);
      if (svc === null) return ACCEPT;
      cp = this.scheduleConn(svc, skb, cost);
      if (cp === null) {
        trace?.(`ipvs ${protoText(p.proto)} ${keyText(svc.key)}: no destination available`, 'icmp port-unreachable');
        return { kind: 'unreachable' };
      }
      trace?.(`ipvs ${keyText(svc.key)} scheduled (${svc.scheduler}${svc.persistence !== null ? ` persistent ${svc.persistence}` : ''}) -> ${addrText(cp.daddr)}:${cp.dport}`, 'new connection');
    } else {
      trace?.(`ipvs connection ${addrText(cp.vaddr)}:${cp.vport} -> ${addrText(cp.daddr)}:${cp.dport}`, 'existing connection');
    }
    if (!cp.dest.available) {
      // The real server is gone: drop silently (and expire the connection with expire_nodest_conn).
      if (this.sysctl.expireNodestConn) this.unlink(cp);
      return { kind: 'drop', reason: 'ipvs: real server unavailable' };
    }
    this.transition(cp, p.tcpFlags, true);
    return { kind: 'xmit', conn: cp };
  }

  /** ip_vs_schedule (+ ip_vs_sched_persist for persistent services). */
  private scheduleConn(svc: VirtualService, skb: Skb, cost: Cost): IpvsConn | null {
    const p = skb.pkt;
    const sp = { saddr: p.src, daddr: p.dst, sport: p.sport };
    const now = this.clock.now();
    const svcPort = svc.key.kind === 'addr' ? svc.key.port : 0;
    if (svc.persistence !== null) {
      // Template <proto, client & netmask, 0, vaddr, vport> (fwmark: <IPPROTO_IP, client, 0, mark, 0>).
      const snet = (p.src & svc.netmask) >>> 0;
      const tproto = svc.key.kind === 'fwmark' ? 0 : p.proto;
      const tvaddr = svc.key.kind === 'fwmark' ? svc.key.fwmark : p.dst;
      const tvport = svc.key.kind === 'fwmark' ? 0 : p.dport === svcPort ? p.dport : 0;
      let ct = this.connInGet(tproto, snet, 0, tvaddr, tvport, true, cost);
      if (ct !== null && !this.templateUsable(ct)) { this.unlink(ct); ct = null; }
      let dest: RealServer;
      if (ct === null) {
        const d = schedule(svc, sp, now);
        if (d === null) return null;
        dest = d;
        ct = this.connNew(tproto, snet, 0, tvaddr, tvport, dest, dest.port, true, null);
        ct.timeoutS = svc.persistence;
      } else {
        dest = ct.dest;
      }
      // ip_vs_conn_put(ct): the template's timer restarts with its timeout.
      ct.expires = now + ct.timeoutS * 1000;
      return this.connNew(p.proto, p.src, p.sport, p.dst, p.dport, dest, dest.port, false, ct);
    }
    if (svc.key.kind === 'addr' && p.dport !== svcPort) return null;
    const dest = schedule(svc, sp, now);
    if (dest === null) return null;
    return this.connNew(p.proto, p.src, p.sport, p.dst, p.dport, dest, dest.port, false, null);
  }

  /** ip_vs_check_template: the server must still be available (and not quiesced, with the sysctl). */
  private templateUsable(ct: IpvsConn): boolean {
    const d = ct.dest;
    if (!d.available) return false;
    if (this.sysctl.expireQuiescentTemplate && d.weight === 0) return false;
    return true;
  }

  /**
   * The first half of ip_vs_nat_xmit: rewrite the destination to the real server and, with the
   * conntrack sysctl, make netfilter expect the reply from it (ip_vs_update_conntrack →
   * nf_conntrack_alter_reply on the still unconfirmed entry); without it the packet leaves
   * untracked (ip_vs_notrack). The caller then routes it and sends it through LOCAL_OUT.
   */
  natRewrite(skb: Skb, cp: IpvsConn): void {
    const p = skb.pkt;
    p.dst = cp.daddr;
    p.dport = cp.dport;
    markIpvsProperty(skb);
    if (!this.sysctl.conntrack) {
      skb.ct = UNTRACKED;
      return;
    }
    const ref = skb.ct as CtRef | null;
    if (ref === null || ref.entry === null || ref.dir !== 'original' || ref.entry.status.confirmed) return;
    const e = ref.entry;
    e.reply = { ...e.reply, src: cp.daddr, sport: cp.dport };
  }

  /**
   * ip_vs_out_hook for a packet from a real server back to a client: un-NAT its source to the
   * virtual address (handle_response → snat_handler) and mark it handled.
   */
  outReply(skb: Skb, cost: Cost, trace: IpvsTrace | null): 'accept' | 'handled' {
    if (!this.enabled || hasIpvsProperty(skb)) return 'accept';
    const p = skb.pkt;
    if (!hasPorts(p.proto) || p.inner !== undefined) return 'accept';
    const cp = this.connOutGet(p.proto, p.src, p.sport, p.dst, p.dport, cost);
    if (cp === null || cp.dest.fwd !== 'masq') return 'accept';
    trace?.(`ipvs reply ${addrText(cp.daddr)}:${cp.dport} -> source ${addrText(cp.vaddr)}:${cp.vport}`, 'un-NAT');
    p.src = cp.vaddr;
    p.sport = cp.vport;
    this.transition(cp, p.tcpFlags, false);
    markIpvsProperty(skb);
    return 'handled';
  }
}

const ACCEPT: IpvsInResult = Object.freeze({ kind: 'accept' }) as IpvsInResult;

export function addrText(a: IPv4): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

export function protoText(proto: number): string {
  return proto === IPPROTO_TCP ? 'TCP' : proto === IPPROTO_UDP ? 'UDP' : proto === IPPROTO_SCTP ? 'SCTP' : String(proto);
}

export function keyText(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `FWM ${k.fwmark}` : `${protoText(k.proto)} ${addrText(k.addr)}:${k.port}`;
}
