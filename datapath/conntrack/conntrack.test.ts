import { describe, expect, it } from 'vitest';
import {
  IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN,
  clonePacket,
} from '../packet.js';
import { formatIPv4 } from '../addr/ipv4.js';
import { ctOf } from './entry.js';
import { forward, localOut, ip, newConntrack, pkt, range } from './testutil.js';

const udp = (s: string, sp: number, d: string, dp: number) => pkt(IPPROTO_UDP, s, sp, d, dp);
const tcp = (s: string, sp: number, d: string, dp: number, flags: number) => pkt(IPPROTO_TCP, s, sp, d, dp, { tcpFlags: flags });

describe('DNAT', () => {
  it('rewrites the first packet, later packets and un-NATs replies from the entry alone', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    const dnat = { pre: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'dst', range('10.244.2.7', '10.244.2.7', [8080, 8080])); } };
    const first = forward(ct, tcp('10.244.1.5', 40000, '10.96.0.20', 80, TCP_SYN), dnat);
    expect(first.verdict.kind).toBe('accept');
    expect(first.chainsRun).toEqual(['PREROUTING', 'POSTROUTING']);
    expect(formatIPv4(first.skb.pkt.dst)).toBe('10.244.2.7');
    expect(first.skb.pkt.dport).toBe(8080);
    expect(ctOf(first.skb)!.info).toBe('new');
    expect(first.cost.conntrackLookups).toBe(1);

    // The reply: nat chains are not consulted; the source becomes the service again.
    const reply = forward(ct, tcp('10.244.2.7', 8080, '10.244.1.5', 40000, TCP_SYN | TCP_ACK), dnat);
    expect(reply.chainsRun).toEqual([]);
    expect(ctOf(reply.skb)!.info).toBe('established');
    expect(ctOf(reply.skb)!.dir).toBe('reply');
    expect(formatIPv4(reply.skb.pkt.src)).toBe('10.96.0.20');
    expect(reply.skb.pkt.sport).toBe(80);

    const later = forward(ct, tcp('10.244.1.5', 40000, '10.96.0.20', 80, TCP_ACK), dnat);
    expect(later.chainsRun).toEqual([]);
    expect(formatIPv4(later.skb.pkt.dst)).toBe('10.244.2.7');
    expect(ctOf(later.skb)!.info).toBe('established');
    expect(ct.count).toBe(1);
    expect(ct.format()).toBe(
      'tcp      6 432000 ESTABLISHED src=10.244.1.5 dst=10.96.0.20 sport=40000 dport=80 src=10.244.2.7 dst=10.244.1.5 sport=8080 dport=40000 [ASSURED] mark=0 use=1\n');
  });

  it('REDIRECT sends to the input device address, or 127.0.0.1 when locally generated', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    const w = forward(ct, udp('10.0.0.1', 1000, '10.96.0.10', 53), { pre: (skb) => { nat.redirect(skb, range(null, null, [5353, 5353])); } });
    expect(formatIPv4(w.skb.pkt.dst)).toBe('10.0.0.254');
    expect(w.skb.pkt.dport).toBe(5353);
    const l = localOut(ct, udp('10.0.0.9', 1000, '10.96.0.10', 53), { out: (skb) => { nat.redirect(skb, range(null, null, [5353, 5353])); } });
    expect(formatIPv4(l.skb.pkt.dst)).toBe('127.0.0.1');
  });
});

describe('SNAT and MASQUERADE', () => {
  it('keeps the first client\'s port and moves the second one\'s (distinct reply tuples)', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    const snat = { post: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'src', range('10.0.0.9')); } };
    const a = forward(ct, udp('10.0.0.1', 40000, '10.0.0.2', 53), snat);
    const b = forward(ct, udp('10.0.0.3', 40000, '10.0.0.2', 53), snat);
    expect(formatIPv4(a.skb.pkt.src)).toBe('10.0.0.9');
    expect(a.skb.pkt.sport).toBe(40000);
    expect(formatIPv4(b.skb.pkt.src)).toBe('10.0.0.9');
    // Linux 6.18 gave a random port from 1024-65535 (55744 in one run): random, not 40001.
    expect(b.skb.pkt.sport).not.toBe(40000);
    expect(b.skb.pkt.sport).toBeGreaterThanOrEqual(1024);
    // Replies reach the right client.
    const ra = forward(ct, udp('10.0.0.2', 53, '10.0.0.9', 40000));
    const rb = forward(ct, udp('10.0.0.2', 53, '10.0.0.9', b.skb.pkt.sport));
    expect(formatIPv4(ra.skb.pkt.dst)).toBe('10.0.0.1');
    expect(formatIPv4(rb.skb.pkt.dst)).toBe('10.0.0.3');
    expect(rb.skb.pkt.dport).toBe(40000);
  });

  it('a port range keeps an in-range free port, else searches the range', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    const snat = { post: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'src', range('10.0.0.9', '10.0.0.9', [1000, 1005])); } };
    const ports = ['10.0.0.1', '10.0.0.3', '10.0.0.5'].map((s) => forward(ct, tcp(s, 1003, '10.0.0.2', 81, TCP_SYN), snat).skb.pkt.sport);
    expect(ports[0]).toBe(1003);
    expect(new Set(ports).size).toBe(3);
    for (const p of ports) expect(p >= 1000 && p <= 1005).toBe(true);
  });

  it('picks the address of a range as the kernel\'s find_best_ips_proto does (observed on Linux 6.18)', () => {
    // Observed: SNAT --to-source 10.0.0.100-10.0.0.200 to 10.0.0.2; with and without --persistent.
    const expected: [string, string, string][] = [
      ['10.0.0.1', '10.0.0.106', '10.0.0.127'], ['10.0.0.3', '10.0.0.150', '10.0.0.183'],
      ['10.0.0.5', '10.0.0.148', '10.0.0.189'], ['10.0.0.7', '10.0.0.151', '10.0.0.109'],
      ['10.0.0.11', '10.0.0.188', '10.0.0.114'], ['10.0.0.13', '10.0.0.195', '10.0.0.164'],
    ];
    for (const persistent of [false, true]) {
      const { ct } = newConntrack();
      const nat = ct.natService();
      for (const [src, plain, pers] of expected) {
        const w = forward(ct, udp(src, 40000, '10.0.0.2', 53), { post: (skb) => { nat.setup(skb, 'src', range('10.0.0.100', '10.0.0.200', null, { persistent })); } });
        expect(formatIPv4(w.skb.pkt.src)).toBe(persistent ? pers : plain);
        expect(w.skb.pkt.sport).toBe(40000);
      }
    }
  });

  it('MASQUERADE takes the routed source of the output device; replies are un-NATed', () => {
    const seen: [string, string | null][] = [];
    const { ct } = newConntrack({ selectSource: (dst, dev) => { seen.push([formatIPv4(dst), dev]); return ip('192.168.1.10'); } });
    const nat = ct.natService();
    const w = forward(ct, tcp('10.244.1.5', 33000, '8.8.8.8', 443, TCP_SYN), { post: (skb) => { nat.masquerade(skb, range(null)); } });
    expect(seen).toEqual([['8.8.8.8', 'eth1']]);
    expect(formatIPv4(w.skb.pkt.src)).toBe('192.168.1.10');
    const r = forward(ct, tcp('8.8.8.8', 443, '192.168.1.10', 33000, TCP_SYN | TCP_ACK));
    expect(formatIPv4(r.skb.pkt.dst)).toBe('10.244.1.5');
    expect(ct.entries()[0]!.status.srcNat).toBe(true);
  });

  it('MASQUERADE without a source address fails (the kernel drops)', () => {
    const { ct } = newConntrack({ selectSource: () => null });
    let ok = true;
    forward(ct, udp('10.0.0.1', 1, '10.0.0.2', 2), { post: (skb) => { ok = ct.natService().masquerade(skb, range(null)); } });
    expect(ok).toBe(false);
  });

  it('the null binding still makes the source port unique', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    // A client SNATed to the host's own address and port...
    forward(ct, udp('10.244.1.5', 40000, '10.0.0.2', 53), { post: (skb) => { nat.setup(skb, 'src', range('192.168.1.1')); } });
    // ...then the host itself uses that port: no rule matches, the null binding moves the port.
    const l = localOut(ct, udp('192.168.1.1', 40000, '10.0.0.2', 53));
    expect(l.chainsRun).toEqual(['OUTPUT', 'POSTROUTING']);
    expect(formatIPv4(l.skb.pkt.src)).toBe('192.168.1.1');
    expect(l.skb.pkt.sport).not.toBe(40000);
    expect(l.skb.pkt.sport).toBeGreaterThanOrEqual(1024);
    expect(ct.count).toBe(2);
    const e = ct.lookup({ src: ip('192.168.1.1'), dst: ip('10.0.0.2'), proto: IPPROTO_UDP, sport: 40000, dport: 53 })!;
    expect(e.status.srcNat).toBe(true);
  });
});

describe('table limits and timers', () => {
  it('drops a new connection when the table is full and nothing can be early-dropped', () => {
    const { ct, clock } = newConntrack({ max: 2 });
    // Make two assured UDP streams (reply, then traffic after two seconds).
    for (const p of [1, 2]) {
      forward(ct, udp('10.0.0.1', p, '10.0.0.2', 53));
      forward(ct, udp('10.0.0.2', 53, '10.0.0.1', p));
    }
    clock.advance(2500);
    for (const p of [1, 2]) forward(ct, udp('10.0.0.1', p, '10.0.0.2', 53));
    expect(ct.entries().every((e) => e.status.assured)).toBe(true);
    const w = forward(ct, udp('10.0.0.1', 3, '10.0.0.2', 53));
    expect(w.verdict).toEqual({ kind: 'drop', reason: 'conntrack table full' });
    expect(ct.count).toBe(2);
    // A known connection still passes.
    expect(forward(ct, udp('10.0.0.1', 1, '10.0.0.2', 53)).verdict.kind).toBe('accept');
  });

  it('early-drops unassured entries of the nearby buckets', () => {
    const { ct } = newConntrack({ max: 2, buckets: 1 });
    forward(ct, udp('10.0.0.1', 1, '10.0.0.2', 53));
    forward(ct, udp('10.0.0.1', 2, '10.0.0.2', 53));
    const w = forward(ct, udp('10.0.0.1', 3, '10.0.0.2', 53));
    expect(w.verdict.kind).toBe('accept');
    expect(ct.entries().map((e) => e.orig.sport)).toEqual([3]);
  });

  it('UDP: 30 s unreplied, 120 s and ASSURED once a replied flow outlives 2 s', () => {
    const { ct, clock } = newConntrack();
    forward(ct, udp('10.0.0.1', 5000, '10.0.0.2', 53));
    expect(ct.format()).toMatch(/^udp      17 30 src=10.0.0.1 .* \[UNREPLIED\] /);
    clock.advance(30_000);
    expect(ct.count).toBe(1);
    expect(ct.entries()).toHaveLength(0);
    expect(ct.gc()).toBe(1);
    forward(ct, udp('10.0.0.1', 5000, '10.0.0.2', 53));
    forward(ct, udp('10.0.0.2', 53, '10.0.0.1', 5000));
    expect(ct.entries()[0]!.expires - clock.now()).toBe(30_000);
    clock.advance(1000);
    forward(ct, udp('10.0.0.1', 5000, '10.0.0.2', 53));
    expect(ct.entries()[0]!.status.assured).toBe(false);
    clock.advance(1500);
    forward(ct, udp('10.0.0.1', 5000, '10.0.0.2', 53));
    expect(ct.entries()[0]!.status.assured).toBe(true);
    expect(ct.format()).toMatch(/^udp      17 120 .* \[ASSURED\] mark=0 use=1\n$/);
  });

  it('an expired entry is gone for the next packet (lazy expiry): it is NEW again', () => {
    const { ct, clock } = newConntrack();
    forward(ct, pkt(IPPROTO_ICMP, '10.0.0.1', 77, '10.0.0.2', 0, { icmpType: 8 }));
    clock.advance(29_999);
    expect(ctOf(forward(ct, pkt(IPPROTO_ICMP, '10.0.0.1', 77, '10.0.0.2', 0, { icmpType: 8 })).skb)!.entry).not.toBeNull();
    clock.advance(30_000);
    const w = forward(ct, pkt(IPPROTO_ICMP, '10.0.0.1', 77, '10.0.0.2', 0, { icmpType: 8 }));
    expect(ctOf(w.skb)!.info).toBe('new');
    expect(ct.count).toBe(1);
  });
});

describe('TCP states', () => {
  it('SYN → SYN_SENT, SYN/ACK → SYN_RECV, ACK → ESTABLISHED [ASSURED], FIN/ACK → FIN_WAIT ... TIME_WAIT', () => {
    const { ct } = newConntrack();
    const c = (f: number) => forward(ct, tcp('10.0.0.1', 40000, '10.0.0.2', 80, f));
    const s = (f: number) => forward(ct, tcp('10.0.0.2', 80, '10.0.0.1', 40000, f));
    const state = () => ct.entries()[0]!.tcpState;
    c(TCP_SYN); expect(state()).toBe('SYN_SENT');
    expect(ct.format()).toMatch(/^tcp      6 120 SYN_SENT /);
    s(TCP_SYN | TCP_ACK); expect(state()).toBe('SYN_RECV');
    c(TCP_ACK); expect(state()).toBe('ESTABLISHED');
    expect(ct.entries()[0]!.status.assured).toBe(true);
    c(TCP_FIN | TCP_ACK); expect(state()).toBe('FIN_WAIT');
    s(TCP_ACK); expect(state()).toBe('CLOSE_WAIT');
    s(TCP_FIN | TCP_ACK); expect(state()).toBe('LAST_ACK');
    c(TCP_ACK); expect(state()).toBe('TIME_WAIT');
    expect(ct.format()).toMatch(/^tcp      6 120 TIME_WAIT /);
    // A new SYN on the same tuple reopens: a fresh connection.
    const w = c(TCP_SYN);
    expect(ctOf(w.skb)!.info).toBe('new');
    expect(state()).toBe('SYN_SENT');
    expect(w.cost.conntrackLookups).toBe(2);
  });

  it('a first non-SYN is picked up (tcp_loose=1) and INVALID with tcp_loose=0; a lone FIN is INVALID', () => {
    const loose = newConntrack().ct;
    const w = forward(loose, tcp('10.0.0.1', 1, '10.0.0.2', 2, TCP_ACK));
    expect(ctOf(w.skb)!.info).toBe('new');
    expect(loose.entries()[0]!.tcpState).toBe('ESTABLISHED');
    const strict = newConntrack({ tcpLoose: false }).ct;
    expect(ctOf(forward(strict, tcp('10.0.0.1', 1, '10.0.0.2', 2, TCP_ACK)).skb)!.info).toBe('invalid');
    expect(strict.count).toBe(0);
    expect(ctOf(forward(loose, tcp('10.0.0.1', 3, '10.0.0.2', 2, TCP_FIN)).skb)!.info).toBe('invalid');
    expect(ctOf(forward(loose, tcp('10.0.0.1', 3, '10.0.0.2', 2, TCP_SYN | TCP_FIN)).skb)!.info).toBe('invalid');
  });

  it('a RST answering a SYN kills the connection', () => {
    const { ct } = newConntrack();
    forward(ct, tcp('10.0.0.1', 1, '10.0.0.2', 2, TCP_SYN));
    const r = forward(ct, tcp('10.0.0.2', 2, '10.0.0.1', 1, TCP_RST | TCP_ACK));
    expect(r.verdict.kind).toBe('accept');
    expect(ct.count).toBe(0);
  });
});

describe('ICMP', () => {
  it('tracks echo by identifier; an echo reply alone is INVALID', () => {
    const { ct } = newConntrack();
    forward(ct, pkt(IPPROTO_ICMP, '10.0.0.1', 4242, '10.0.0.2', 0, { icmpType: 8 }));
    const r = forward(ct, pkt(IPPROTO_ICMP, '10.0.0.2', 4242, '10.0.0.1', 0, { icmpType: 0 }));
    expect(ctOf(r.skb)!.dir).toBe('reply');
    expect(ct.format()).toBe('icmp     1 30 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=4242 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=4242 mark=0 use=1\n');
    const stray = forward(ct, pkt(IPPROTO_ICMP, '10.0.0.2', 9, '10.0.0.1', 0, { icmpType: 0 }));
    expect(ctOf(stray.skb)!.info).toBe('invalid');
  });

  it('SNATed pings with one identifier get distinct identifiers', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    const snat = { post: (skb: Parameters<typeof nat.setup>[0]) => { nat.setup(skb, 'src', range('10.0.0.9')); } };
    const a = forward(ct, pkt(IPPROTO_ICMP, '10.0.0.1', 7, '10.0.0.2', 0, { icmpType: 8 }), snat);
    const b = forward(ct, pkt(IPPROTO_ICMP, '10.0.0.3', 7, '10.0.0.2', 0, { icmpType: 8 }), snat);
    expect(a.skb.pkt.sport).toBe(7);
    expect(b.skb.pkt.sport).not.toBe(7);
    const rb = forward(ct, pkt(IPPROTO_ICMP, '10.0.0.2', b.skb.pkt.sport, '10.0.0.9', 0, { icmpType: 0 }));
    expect(formatIPv4(rb.skb.pkt.dst)).toBe('10.0.0.3');
    expect(rb.skb.pkt.sport).toBe(7);
  });

  it('an ICMP error is RELATED to the quoted connection and translated outer and inner', () => {
    const { ct } = newConntrack();
    const nat = ct.natService();
    const sent = forward(ct, udp('10.244.1.5', 40000, '10.96.0.10', 53), { pre: (skb) => { nat.setup(skb, 'dst', range('10.244.2.7', '10.244.2.7', [5353, 5353])); } });
    // The backend answers port-unreachable about the packet it got.
    const err = pkt(IPPROTO_ICMP, '10.244.2.7', 0, '10.244.1.5', 0, {
      icmpType: ICMP_DEST_UNREACH, icmpCode: ICMP_PORT_UNREACH, quoted: clonePacket(sent.skb.pkt),
    });
    const w = forward(ct, err);
    const ref = ctOf(w.skb)!;
    expect(ref.info).toBe('related');
    expect(ref.dir).toBe('reply');
    expect(w.chainsRun).toEqual([]);
    expect(formatIPv4(w.skb.pkt.src)).toBe('10.96.0.10');
    expect(formatIPv4(w.skb.pkt.quoted!.dst)).toBe('10.96.0.10');
    expect(w.skb.pkt.quoted!.dport).toBe(53);
    expect(formatIPv4(w.skb.pkt.quoted!.src)).toBe('10.244.1.5');
    expect(ct.count).toBe(1);
  });

  it('an ICMP error about no known connection, or sent to the wrong host, is INVALID', () => {
    const { ct } = newConntrack();
    forward(ct, udp('10.0.0.1', 1, '10.0.0.2', 2));
    const q = udp('10.0.0.1', 1, '10.0.0.2', 2);
    const wrongDst = pkt(IPPROTO_ICMP, '10.0.0.2', 0, '10.0.0.77', 0, { icmpType: 3, icmpCode: 3, quoted: q });
    expect(ctOf(forward(ct, wrongDst).skb)!.info).toBe('invalid');
    const unknown = pkt(IPPROTO_ICMP, '10.0.0.2', 0, '10.0.0.1', 0, { icmpType: 3, icmpCode: 3, quoted: udp('10.0.0.1', 9, '10.0.0.2', 9) });
    expect(ctOf(forward(ct, unknown).skb)!.info).toBe('invalid');
  });
});

describe('management', () => {
  it('untracked packets get the untracked reference and no entry', () => {
    const { ct } = newConntrack();
    const w = forward(ct, udp('10.0.0.1', 1, '10.0.0.2', 2), {}, { untracked: true });
    expect(ctOf(w.skb)).toEqual({ entry: null, dir: 'original', info: 'untracked' });
    expect(ct.count).toBe(0);
    expect(w.cost.conntrackLookups).toBe(0);
  });

  it('delete, lookup and flush', () => {
    const { ct } = newConntrack();
    for (let p = 1; p <= 4; p++) forward(ct, udp('10.0.0.1', p, '10.0.0.2', 53));
    expect(ct.lookup({ src: ip('10.0.0.2'), dst: ip('10.0.0.1'), proto: IPPROTO_UDP, sport: 53, dport: 3 })!.orig.sport).toBe(3);
    expect(ct.delete((e) => e.orig.sport % 2 === 0)).toBe(2);
    expect(ct.count).toBe(2);
    ct.flush();
    expect(ct.count).toBe(0);
    expect(ct.format()).toBe('');
  });

  it('a looped-back packet keeps its conntrack reference (no second lookup)', () => {
    const { ct } = newConntrack();
    const w = localOut(ct, udp('127.0.0.1', 1, '127.0.0.1', 2));
    const cost = { ...w.cost, conntrackLookups: 0 };
    expect(ct.in(w.skb, cost).kind).toBe('accept');
    expect(cost.conntrackLookups).toBe(0);
  });
});

describe('confirmation clashes', () => {
  it('two packets of one new UDP flow racing to confirm: the second joins the first entry', async () => {
    const { newSkb } = await import('../packet.js');
    const { zeroCost } = await import('../trace/cost.js');
    const { ct } = newConntrack();
    const a = newSkb(udp('10.0.0.1', 5, '10.0.0.2', 53));
    const b = newSkb(udp('10.0.0.1', 5, '10.0.0.2', 53));
    ct.in(a, zeroCost());
    ct.in(b, zeroCost());
    expect(ctOf(a)!.entry).not.toBe(ctOf(b)!.entry);
    for (const s of [a, b]) {
      ct.nat(s, 'PREROUTING', () => ({ kind: 'accept' }), zeroCost());
      ct.nat(s, 'POSTROUTING', () => ({ kind: 'accept' }), zeroCost());
    }
    expect(ct.confirm(a).kind).toBe('accept');
    expect(ct.confirm(b).kind).toBe('accept');
    expect(ctOf(b)!.entry).toBe(ctOf(a)!.entry);
    expect(ct.count).toBe(1);
  });

  it('a TCP connection whose NAT reply tuple is taken at confirmation is dropped', async () => {
    const { newSkb } = await import('../packet.js');
    const { zeroCost } = await import('../trace/cost.js');
    const { ct } = newConntrack();
    const nat = ct.natService();
    // Two clients DNATed to one backend with no room to move: both want the same reply tuple.
    const a = newSkb(tcp('10.0.0.1', 5, '10.96.0.1', 80, TCP_SYN));
    const b = newSkb(tcp('10.0.0.1', 5, '10.96.0.2', 80, TCP_SYN));
    for (const s of [a, b]) {
      ct.in(s, zeroCost());
      ct.nat(s, 'PREROUTING', () => { nat.setup(s, 'dst', range('10.0.0.7', '10.0.0.7', [8080, 8080])); return { kind: 'accept' }; }, zeroCost());
    }
    for (const s of [a, b]) ct.nat(s, 'POSTROUTING', () => ({ kind: 'accept' }), zeroCost());
    expect(ct.confirm(a).kind).toBe('accept');
    expect(ct.confirm(b)).toEqual({ kind: 'drop', reason: 'conntrack insert clash' });
  });
});
