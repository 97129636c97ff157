import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IpsetRegistry, IpsetError } from './registry.js';
import { Clock, Rng } from '../util/rng.js';
import { mustParseIPv4 } from '../addr/ipv4.js';
import { newSkb, minimalLength, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMP, type Packet } from '../packet.js';

const data = (f: string): string => readFileSync(fileURLToPath(new URL(`testdata/${f}`, import.meta.url)), 'utf8');

/** Hash members are printed in hash order by the kernel: compare them as a sorted block per set. */
function canonical(text: string): string {
  const out: string[] = [];
  let block: string[] = [];
  let sortable = false;
  const flush = (): void => {
    out.push(...(sortable ? [...block].sort() : block));
    block = [];
  };
  for (const l of text.split('\n')) {
    if (l.startsWith('create ')) {
      flush();
      out.push(l);
      sortable = / hash:/.test(l);
    } else if (l.length > 0) block.push(l);
  }
  flush();
  return out.join('\n');
}

function reg(): { r: IpsetRegistry; clock: Clock } {
  const clock = new Clock();
  return { r: new IpsetRegistry(clock, new Rng(7)), clock };
}

function pkt(proto: number, src: string, sport: number, dst: string, dport: number): Packet {
  return {
    src: mustParseIPv4(src), dst: mustParseIPv4(dst), proto, sport, dport, tcpFlags: 2, icmpType: 0, icmpCode: 0,
    ttl: 64, tos: 0, length: minimalLength(proto), df: true,
  };
}

describe('save format against the real ipset save', () => {
  it('reproduces the kube-proxy worked example line for line', () => {
    const x = data('kube-proxy-node-1.save.txt');
    const { r } = reg();
    r.restore(x, { file: 'node-1.ipset-save.txt' });
    expect(r.save()).toBe(x);
  });

  it('round-trips a real dump of every type and option', () => {
    const x = data('types.save.txt');
    const { r } = reg();
    r.restore(x);
    expect(canonical(r.save({ initval: 'actual' }))).toBe(canonical(x));
    // And what the real tool printed for the input text, set order included (list:set last).
    const { r: r2 } = reg();
    r2.restore(data('types.restore.txt'));
    expect(canonical(r2.save({ initval: 'actual' }))).toBe(canonical(x));
  });

  it('round-trips a real dump with timeouts, printing whole seconds left', () => {
    const x = data('timeouts.save.txt');
    const { r, clock } = reg();
    r.restore(x);
    expect(canonical(r.save())).toBe(canonical(x));
    clock.advance(10_500);
    const after = r.save();
    expect(after).toContain('add t-ip 10.0.0.1 timeout 88\n');
    expect(after).toContain('add t-ip 10.0.0.2 timeout 0\n');
    expect(after).toContain('add t-bm 5 timeout 18 packets 1 bytes 2 comment "a b" skbqueue 9\n');
  });

  it('prints drawn initvals as 0x00000000 by default, and the drawn value on request', () => {
    const { r } = reg();
    r.create('a', 'hash:ip');
    r.create('b', 'hash:ip', { initval: 5 });
    expect(r.save()).toBe(
      'create a hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000000\n' +
      'create b hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000005\n');
    expect(r.save({ initval: 'actual' })).toMatch(/^create a .* initval 0x(?!00000000)[0-9a-f]{8}\n/);
  });

  it('normalises create options as the kernel does', () => {
    const { r } = reg();
    r.restore('create a hash:ip hashsize 1000 bucketsize 3 initval 1\ncreate b hash:ip hashsize 10 bucketsize 15 initval 1\n' +
      'create c hash:ip bucketsize 1 initval 1\ncreate d bitmap:port range 10-5\ncreate e list:set size 1\n');
    expect(r.save()).toBe(
      'create a hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 4 initval 0x00000001\n' +
      'create b hash:ip family inet hashsize 64 maxelem 65536 bucketsize 12 initval 0x00000001\n' +
      'create c hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 2 initval 0x00000001\n' +
      'create d bitmap:port range 5-10\n' +
      'create e list:set size 4\n');
  });
});

describe('set order', () => {
  it('reuses the first free slot, and dumps list:set sets last', () => {
    const { r } = reg();
    r.create('a', 'hash:ip');
    r.create('l', 'list:set');
    r.create('b', 'hash:ip');
    r.destroy('a');
    r.create('z', 'hash:ip');
    expect(r.names()).toEqual(['z', 'b', 'l']);
  });

  it('swap exchanges names and places; rename keeps the place and list references follow', () => {
    const { r } = reg();
    r.restore('create a hash:ip\nadd a 1.1.1.1\ncreate b hash:ip\nadd b 2.2.2.2\ncreate l list:set\nadd l a\n');
    r.swap('a', 'b');
    expect(r.test('a', '2.2.2.2')).toBe(true);
    expect(r.test('b', '1.1.1.1')).toBe(true);
    expect(r.names()).toEqual(['a', 'b', 'l']);
    expect(() => r.rename('a', 'x')).toThrow('Set cannot be renamed: it is in use by another system');
    r.rename('b', 'c');
    expect(r.names()).toEqual(['a', 'c', 'l']);
  });
});

describe('commands and ipset messages', () => {
  it('gives ipset\'s own messages', () => {
    const { r } = reg();
    r.create('m', 'hash:ip', { maxelem: 1 });
    r.add('m', '1.1.1.1');
    expect(() => r.add('m', '1.1.1.1')).toThrow("Element cannot be added to the set: it's already added");
    expect(() => r.add('m', '1.1.1.2')).toThrow('Hash is full, cannot add more elements');
    expect(() => r.add('nosuch', '1.1.1.1')).toThrow('The set with the given name does not exist');
    expect(() => r.del('m', '9.9.9.9')).toThrow("Element cannot be deleted from the set: it's not added");
    expect(() => r.create('m', 'hash:ip')).toThrow('Set cannot be created: set with the same name already exists');
    expect(() => r.add('m', '1.1.1.1', { timeout: 5 })).toThrow('Timeout cannot be used: set was created without timeout support');
    expect(() => r.add('m', '1.1.1.1', { packets: 5 })).toThrow('Packet/byte counters cannot be used: set was created without counter support');
    r.add('m', '1.1.1.1', { exist: true });
    r.del('m', '7.7.7.7', { exist: true });
    r.create('b', 'bitmap:port', { range: [1000, 2000] });
    expect(() => r.add('b', '5000')).toThrow('Element is out of the range of the set');
    r.create('p', 'hash:ip,port');
    expect(() => r.add('p', '1.2.3.4')).toThrow('Syntax error: Second element is missing from 1.2.3.4.');
    expect(() => r.add('p', '1.2.3.4,gre:5')).toThrow('Syntax error: Protocol gre can be used with pseudo port value 0 only.');
    expect(() => r.add('p', '1.2.3.4,foo:1')).toThrow("Syntax error: cannot parse 'foo' as a protocol");
    expect(() => r.add('p', '1.2.3.x,tcp:1')).toThrow('Syntax error: cannot parse 1.2.3.x: resolving to IPv4 address failed');
  });

  it('create -exist keeps a same set and refuses a different one', () => {
    const { r } = reg();
    r.restore('create a hash:ip hashsize 1024\nadd a 1.1.1.1\n');
    r.restore('create a hash:ip hashsize 2048 -exist\n');
    expect(r.test('a', '1.1.1.1')).toBe(true);
    expect(() => r.restore('create a hash:net -exist\n', { file: 'x' })).toThrow('x:1:1: Set cannot be created: set with the same name already exists');
  });

  it('list:set members must exist, not be lists, and before/after must name a member', () => {
    const { r } = reg();
    r.restore('create l list:set\ncreate a hash:ip\ncreate b hash:ip\n');
    expect(() => r.add('l', 'nosuch')).toThrow('Set to be added/deleted/tested as element does not exist.');
    expect(() => r.add('l', 'l')).toThrow('Sets with list:set type cannot be added to the set.');
    expect(() => r.add('l', 'a', { before: 'b' })).toThrow("The set to which you referred with 'before' or 'after' does not exist.");
    r.add('l', 'a');
    r.add('l', 'b', { before: 'a' });
    expect(r.save().split('\n').filter((x) => x.startsWith('add'))).toEqual(['add l b', 'add l a']);
    expect(() => r.destroy('a')).toThrow('Set cannot be destroyed: it is in use by a kernel component');
    expect(() => r.destroy()).not.toThrow();
    expect(r.names()).toEqual([]);
  });

  it('a set referenced by a rule cannot be destroyed', () => {
    const { r } = reg();
    r.create('a', 'hash:ip');
    r.reference('a');
    expect(() => r.destroy('a')).toThrow('in use by a kernel component');
    r.unreference('a');
    r.destroy('a');
    expect(r.get('a')).toBeUndefined();
  });

  it('expands ranges and prefixes of ip and port as the tool does', () => {
    const { r } = reg();
    r.create('p', 'hash:ip,port');
    r.add('p', '10.0.0.0/30,tcp:80-81');
    expect(r.get('p')!.size()).toBe(8);
    r.create('i', 'hash:ip', { netmask: 24 });
    r.add('i', '10.1.1.7');
    expect(r.save({ name: 'i' })).toContain('add i 10.1.1.0\n');
    expect(r.test('i', '10.1.1.200')).toBe(true);
  });
});

describe('restore', () => {
  it('is all or nothing by default, with FILE:LINE:COL errors', () => {
    const { r } = reg();
    r.create('keep', 'hash:ip');
    let err: unknown;
    try {
      r.restore('create r1 hash:ip\nadd r1 1.2.3.4\nadd r1 1.2.3.x\n', { file: 'sets.txt' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpsetError);
    const e = err as IpsetError;
    expect(e.message).toBe('sets.txt:3:8: Syntax error: cannot parse 1.2.3.x: resolving to IPv4 address failed');
    expect([e.file, e.line, e.col]).toEqual(['sets.txt', 3, 8]);
    expect(r.names()).toEqual(['keep']);
  });

  it('with atomic: false keeps what earlier lines did, as the real tool', () => {
    const { r } = reg();
    expect(() => r.restore('create r1 hash:ip\nadd r1 1.2.3.4\nadd r1 1.2.3.4\n', { atomic: false })).toThrow(
      "<restore>:3:8: Element cannot be added to the set: it's already added");
    expect(r.test('r1', '1.2.3.4')).toBe(true);
  });

  it('takes -exist and -! anywhere, short aliases, comments and COMMIT', () => {
    const { r } = reg();
    r.restore('# comment\n\n-N a hash:ip\n-A a 1.2.3.4\nadd -exist a 1.2.3.4\nadd a 1.2.3.4 -!\n-exist add a 1.2.3.4\nCOMMIT\n');
    r.restore('add a 1.2.3.4\n', { exist: true });
    expect(r.get('a')!.size()).toBe(1);
  });

  it('locates unknown words and missing arguments', () => {
    const { r } = reg();
    expect(() => r.restore('create r9 hash:ip bogus\n', { file: 'f' })).toThrow("f:1:19: Unknown argument: `bogus'");
    expect(() => r.restore('foo r3\n', { file: 'f' })).toThrow('f:1:1: No command specified: unknown argument foo');
    expect(() => r.restore('create r9 hash:foo\n', { file: 'f' })).toThrow("f:1:11: Syntax error: typename 'hash:foo' is unknown");
    expect(() => r.restore('create r10 bitmap:port\n', { file: 'f' })).toThrow("f:1:1: Mandatory option `range' is missing");
    expect(() => r.restore('create a hash:ip\nadd a\n', { file: 'f' })).toThrow('f:2:6: Missing second mandatory argument to command add');
    expect(() => r.restore('create a hash:ip timeout 2147484\n', { file: 'f' })).toThrow("f:1:26: Syntax error: '2147484' is out of range 0-2147483");
  });
});

describe('timeouts on the Clock', () => {
  it('expires an element after its timeout, and `timeout 0` is permanent', () => {
    const { r, clock } = reg();
    r.create('t', 'hash:ip', { timeout: 10 });
    r.add('t', '1.1.1.1');
    r.add('t', '2.2.2.2', { timeout: 0 });
    r.add('t', '3.3.3.3', { timeout: 20 });
    clock.advance(10_000);
    expect(r.test('t', '1.1.1.1')).toBe(true); // still live at exactly its expiry (jiffies must pass it)
    clock.advance(1);
    expect(r.test('t', '1.1.1.1')).toBe(false);
    expect(r.test('t', '2.2.2.2')).toBe(true);
    expect(r.test('t', '3.3.3.3')).toBe(true);
    expect(r.get('t')!.size()).toBe(2);
    r.add('t', '1.1.1.1'); // an expired element can be added again
    clock.advance(30_000);
    expect(r.save()).toBe(
      'create t hash:ip family inet hashsize 1024 maxelem 65536 timeout 10 bucketsize 12 initval 0x00000000\n' +
      'add t 2.2.2.2 timeout 0\n');
  });

  it('expired elements do not count towards maxelem', () => {
    const { r, clock } = reg();
    r.create('t', 'hash:ip', { timeout: 1, maxelem: 1 });
    r.add('t', '1.1.1.1');
    expect(() => r.add('t', '1.1.1.2')).toThrow('Hash is full');
    clock.advance(1001);
    r.add('t', '1.1.1.2');
  });
});

describe('nomatch and most specific prefix', () => {
  it('hash:net: the most specific prefix decides, nomatch says no', () => {
    const { r } = reg();
    r.restore('create c hash:net\nadd c 10.0.0.0/8\nadd c 10.1.0.0/16 nomatch\nadd c 10.1.2.0/24\n');
    expect(r.test('c', '10.9.9.9')).toBe(true);
    expect(r.test('c', '10.1.9.9')).toBe(false);
    expect(r.test('c', '10.1.2.9')).toBe(true);
    expect(r.test('c', '11.0.0.1')).toBe(false);
    // An explicit prefix is an exact look-up; a nomatch element is "not in set".
    expect(r.test('c', '10.1.0.0/16')).toBe(false);
    expect(r.test('c', '10.0.0.0/8')).toBe(true);
    expect(r.test('c', '10.0.0.0/9')).toBe(false);
    const skb = newSkb(pkt(IPPROTO_TCP, '10.1.3.3', 1, '1.1.1.1', 80));
    expect(r.test('c', skb, ['src'])).toBe(false);
    expect(r.test('c', newSkb(pkt(IPPROTO_TCP, '10.1.2.3', 1, '1.1.1.1', 80)), ['src'])).toBe(true);
  });

  it('hash:net,port and hash:ip,port,net', () => {
    const { r } = reg();
    r.restore(data('types.restore.txt'));
    const s = (src: string, dst: string, dport: number, proto = IPPROTO_TCP) => newSkb(pkt(proto, src, 4000, dst, dport));
    expect(r.test('nets-ports', s('10.0.0.5', '9.9.9.9', 80), ['src', 'dst'])).toBe(true);
    expect(r.test('nets-ports', s('10.0.0.5', '9.9.9.9', 80, IPPROTO_UDP), ['src', 'dst'])).toBe(false);
    expect(r.test('nets-ports', s('10.0.0.5', '9.9.9.9', 53, IPPROTO_UDP), ['src', 'dst'])).toBe(false); // nomatch /8
    const lb = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
    expect(r.test(lb, s('192.168.9.9', '1.2.3.4', 80), ['dst', 'dst', 'src'])).toBe(true);
    expect(r.test(lb, s('192.168.1.9', '1.2.3.4', 80), ['dst', 'dst', 'src'])).toBe(false);
    expect(r.test(lb, s('192.168.1.7', '1.2.3.4', 80), ['dst', 'dst', 'src'])).toBe(true);
    expect(r.test(lb, s('192.168.9.9', '1.2.3.4', 81), ['dst', 'dst', 'src'])).toBe(false);
  });
});

describe('packet look-ups (IpsetLookup)', () => {
  it('picks fields by the flags, and the port\'s protocol must equal the packet\'s', () => {
    const { r } = reg();
    r.restore(data('kube-proxy-node-1.save.txt'));
    const tcp = newSkb(pkt(IPPROTO_TCP, '10.244.0.2', 40000, '10.96.0.10', 53));
    const udp = newSkb(pkt(IPPROTO_UDP, '10.244.0.2', 40000, '10.96.0.10', 53));
    const sctp = newSkb(pkt(IPPROTO_SCTP, '10.244.0.2', 40000, '10.96.0.10', 53));
    expect(r.test('KUBE-CLUSTER-IP', tcp, ['dst', 'dst'])).toBe(true);
    expect(r.test('KUBE-CLUSTER-IP', udp, ['dst', 'dst'])).toBe(true);
    expect(r.test('KUBE-CLUSTER-IP', sctp, ['dst', 'dst'])).toBe(false);
    expect(r.test('KUBE-CLUSTER-IP', tcp, ['src', 'dst'])).toBe(false);
    expect(r.test('KUBE-CLUSTER-IP', tcp, ['dst'])).toBe(false); // fewer flags than dimensions
    expect(r.test('KUBE-IPVS-IPS', tcp, ['dst'])).toBe(true);
    expect(r.test('NOSUCH', tcp, ['dst'])).toBeUndefined();
    // Hairpin: pod → its own service endpoint, KUBE-LOOP-BACK dst,dst,src.
    const hairpin = newSkb(pkt(IPPROTO_TCP, '10.244.0.3', 40000, '10.244.0.3', 8080));
    expect(r.test('KUBE-LOOP-BACK', hairpin, ['dst', 'dst', 'src'])).toBe(true);
    const np = newSkb(pkt(IPPROTO_TCP, '192.168.1.100', 40000, '192.168.1.10', 30080));
    expect(r.test('KUBE-NODE-PORT-TCP', np, ['dst'])).toBe(true);
    expect(r.test('KUBE-NODE-PORT-LOCAL-TCP', np, ['dst'])).toBe(false);
    // bitmap:port matches TCP and UDP only (ip_set_get_ip_port).
    r.restore('add KUBE-NODE-PORT-UDP 30080\n');
    const npSctp = newSkb(pkt(IPPROTO_SCTP, '192.168.1.100', 40000, '192.168.1.10', 30080));
    r.restore('create any bitmap:port range 0-65535\nadd any 30080\n');
    expect(r.test('any', npSctp, ['dst'])).toBe(false);
  });

  it('ICMP type/code stands in for the port', () => {
    const { r } = reg();
    r.restore('create p hash:ip,port\nadd p 1.1.1.1,icmp:echo-request\n');
    const p = pkt(IPPROTO_ICMP, '2.2.2.2', 7, '1.1.1.1', 0);
    p.icmpType = 8;
    expect(r.test('p', newSkb(p), ['dst', 'dst'])).toBe(true);
    p.icmpType = 0;
    expect(r.test('p', newSkb(p), ['dst', 'dst'])).toBe(false);
  });

  it('list:set tests members in order; SET target adds to the first that takes it', () => {
    const { r } = reg();
    r.restore('create a hash:ip\ncreate b hash:ip,port\ncreate l list:set\nadd l b\nadd l a\n');
    const skb = newSkb(pkt(IPPROTO_TCP, '1.1.1.1', 5, '2.2.2.2', 80));
    expect(r.test('l', skb, ['dst'])).toBe(false);
    r.add('l', skb, ['dst']); // b needs two flags, so a takes it
    expect(r.test('a', '2.2.2.2')).toBe(true);
    expect(r.test('l', skb, ['dst'])).toBe(true);
    r.add('l', skb, ['src', 'dst']); // b takes 1.1.1.1,tcp:80
    expect(r.test('b', '1.1.1.1,tcp:80')).toBe(true);
    r.del('l', skb, ['src', 'dst']);
    expect(r.test('b', '1.1.1.1,tcp:80')).toBe(false);
  });

  it('counts packets and bytes of the matched element', () => {
    const { r } = reg();
    r.restore('create c hash:ip counters\nadd c 2.2.2.2\n');
    const skb = newSkb(pkt(IPPROTO_TCP, '1.1.1.1', 5, '2.2.2.2', 80));
    r.test('c', skb, ['dst']);
    r.test('c', skb, ['dst']);
    expect(r.save()).toContain('add c 2.2.2.2 packets 2 bytes 80\n');
  });
});
