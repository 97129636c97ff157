/**
 * Hook order, NAT with conntrack, hairpin, policy routing: the stack's walk against the kernel's
 * order (net/ipv4 call sites and nf_ip_hook_priorities).
 */
import { describe, expect, it } from 'vitest';
import { mustParseIPv4 as ip } from '../addr/ipv4.js';
import { makeRoute } from '../fib/route.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../packet.js';
import { RecordingTracer } from '../trace/events.js';
import { World } from '../world.js';
import { sendProbe } from './probe.js';

// The MASQUERADE rule never matches; it is there because the kernel walks nat chains only in a
// namespace where some rule takes conntrack (see conntrack-users.test.ts).
const LOG_EVERYWHERE = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -j LOG
-A OUTPUT -j LOG
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j LOG
-A INPUT -j LOG
-A FORWARD -j LOG
-A OUTPUT -j LOG
-A POSTROUTING -j LOG
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j LOG
-A INPUT -j LOG
-A OUTPUT -j LOG
-A POSTROUTING -j LOG
-A POSTROUTING -s 192.0.2.99/32 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j LOG
-A FORWARD -j LOG
-A OUTPUT -j LOG
COMMIT
`;

/** client 10.0.1.2 — 10.0.1.1 router 10.0.2.1 — 10.0.2.2 server */
function routed() {
  const w = new World(1);
  const [c, r, s] = [w.addNetns('client'), w.addNetns('router'), w.addNetns('server')];
  r.sysctl.set('net.ipv4.ip_forward', '1');
  w.addVeth('client', 'eth0', 'router', 'eth0');
  w.addVeth('router', 'eth1', 'server', 'eth0');
  c.addAddress('eth0', ip('10.0.1.2'), 24);
  r.addAddress('eth0', ip('10.0.1.1'), 24);
  r.addAddress('eth1', ip('10.0.2.1'), 24);
  s.addAddress('eth0', ip('10.0.2.2'), 24);
  c.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('10.0.1.1'), dev: 'eth0', weight: 1, onlink: false }] }));
  s.fib.addRoute(makeRoute({ dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('10.0.2.1'), dev: 'eth0', weight: 1, onlink: false }] }));
  return w;
}

function logOrder(t: RecordingTracer, netns: string): string[] {
  return t.hops.filter((h) => h.step === 'log' && h.netns === netns).map((h) => `${h.hook} ${h.table}`);
}

describe('hook order', () => {
  it('forwarded: PREROUTING raw, mangle, nat; FORWARD mangle, filter; POSTROUTING mangle, nat', () => {
    const w = routed();
    w.netns('router').xtables.restore(LOG_EVERYWHERE);
    const t = new RecordingTracer();
    expect(sendProbe(w, { from: 'client', src: null, dst: ip('10.0.2.2'), proto: IPPROTO_TCP, sport: 40000, dport: 80 }, t).verdict).toBe('delivered');
    expect(logOrder(t, 'router')).toEqual([
      'PREROUTING raw', 'PREROUTING mangle', 'PREROUTING nat', 'FORWARD mangle', 'FORWARD filter', 'POSTROUTING mangle', 'POSTROUTING nat',
    ]);
  });

  it('local delivery: PREROUTING raw, mangle, nat; INPUT mangle, filter, nat', () => {
    const w = routed();
    w.netns('router').xtables.restore(LOG_EVERYWHERE);
    const t = new RecordingTracer();
    sendProbe(w, { from: 'client', src: null, dst: ip('10.0.2.1'), proto: IPPROTO_TCP, sport: 40000, dport: 80 }, t);
    expect(logOrder(t, 'router')).toEqual(['PREROUTING raw', 'PREROUTING mangle', 'PREROUTING nat', 'INPUT mangle', 'INPUT filter', 'INPUT nat']);
  });

  it('locally generated: OUTPUT raw, mangle, nat, filter; POSTROUTING mangle, nat', () => {
    const w = routed();
    w.netns('router').xtables.restore(LOG_EVERYWHERE);
    const t = new RecordingTracer();
    sendProbe(w, { from: 'router', src: null, dst: ip('10.0.2.2'), proto: IPPROTO_UDP, sport: 5000, dport: 53 }, t);
    expect(logOrder(t, 'router')).toEqual(['OUTPUT raw', 'OUTPUT mangle', 'OUTPUT nat', 'OUTPUT filter', 'POSTROUTING mangle', 'POSTROUTING nat']);
  });

  it('nat chains see only a connection\'s first packet', () => {
    const w = routed();
    w.netns('router').xtables.restore(LOG_EVERYWHERE);
    const spec = { from: 'client', src: null, dst: ip('10.0.2.2'), proto: IPPROTO_TCP, sport: 40000, dport: 80 } as const;
    sendProbe(w, spec);
    const t = new RecordingTracer();
    sendProbe(w, spec, t);
    expect(logOrder(t, 'router')).toEqual(['PREROUTING raw', 'PREROUTING mangle', 'FORWARD mangle', 'FORWARD filter', 'POSTROUTING mangle']);
  });
});

describe('NAT with conntrack', () => {
  it('DNATs the first packet, the later ones from the entry, and un-NATs the replies', () => {
    const w = routed();
    w.netns('router').xtables.restore('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d 10.0.1.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80\nCOMMIT\n');
    const spec = { from: 'client', src: null, dst: ip('10.0.1.1'), proto: IPPROTO_TCP, sport: 40000, dport: 8080 } as const;
    const first = sendProbe(w, spec);
    expect(first.verdict).toBe('delivered');
    expect(first.delivered?.netns).toBe('server');
    expect(first.final.pkt.dport).toBe(80);
    expect(first.cost.rulesEvaluated).toBe(1);
    const later = sendProbe(w, spec);
    expect(later.delivered?.netns).toBe('server');
    expect(later.cost.rulesEvaluated).toBe(0); // no nat chain for an established connection
    // The server's reply: translated back to come from 10.0.1.1:8080.
    const reply = sendProbe(w, { from: 'server', src: null, dst: ip('10.0.1.2'), proto: IPPROTO_TCP, sport: 80, dport: 40000 });
    expect(reply.delivered?.netns).toBe('client');
    expect([reply.final.pkt.src, reply.final.pkt.sport]).toEqual([ip('10.0.1.1'), 8080]);
  });

  it('MASQUERADEs to the output address and keeps two clients apart', () => {
    const w = routed();
    w.netns('router').xtables.restore('*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth1 -j MASQUERADE\nCOMMIT\n');
    const a = sendProbe(w, { from: 'client', src: null, dst: ip('10.0.2.2'), proto: IPPROTO_UDP, sport: 5353, dport: 53 });
    expect(a.final.pkt.src).toBe(ip('10.0.2.1'));
    expect(a.final.pkt.sport).toBe(5353);
    // A second connection from another source with the same port must get a different port.
    w.netns('client').addAddress('eth0', ip('10.0.1.3'), 24);
    const b = sendProbe(w, { from: 'client', src: ip('10.0.1.3'), dst: ip('10.0.2.2'), proto: IPPROTO_UDP, sport: 5353, dport: 53 });
    expect(b.final.pkt.src).toBe(ip('10.0.2.1'));
    expect(b.final.pkt.sport).not.toBe(5353);
  });
});

describe('policy routing', () => {
  it('sends marked packets by a second table', () => {
    const w = routed();
    const c = w.netns('client');
    w.addVeth('client', 'eth9', 'server', 'eth9');
    c.addAddress('eth9', ip('10.9.0.1'), 30);
    w.netns('server').addAddress('eth9', ip('10.9.0.2'), 30);
    c.fib.addRoute(makeRoute({ table: 100, dst: { addr: 0, len: 0 }, nexthops: [{ gateway: ip('10.9.0.2'), dev: 'eth9', weight: 1, onlink: false }] }));
    c.fib.addRule({ priority: 1000, fwmark: 7, fwmask: 0xffffffff, action: { kind: 'lookup', table: 100 } });
    const plain = sendProbe(w, { from: 'client', src: null, dst: ip('10.0.2.2'), proto: IPPROTO_UDP, sport: 1, dport: 53 });
    expect(plain.final.interface).toBe('eth0');
    expect(plain.final.pkt.ttl).toBe(63); // through the router
    const marked = sendProbe(w, { from: 'client', src: null, dst: ip('10.0.2.2'), proto: IPPROTO_UDP, sport: 1, dport: 53, mark: 7 });
    expect(marked.final.interface).toBe('eth9');
    expect(marked.final.pkt.ttl).toBe(64); // straight to the server
    expect(marked.final.pkt.src).toBe(ip('10.9.0.1'));
  });
});
