/**
 * Differential test against the real ipset: random restore texts are loaded into the real kernel
 * (in a throwaway network namespace) and into kpath, and both `ipset save` outputs are compared,
 * member order aside (the kernel prints hash order). Skipped without root and the ipset tool.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { IpsetRegistry } from './registry.js';
import { Clock, Rng } from '../util/rng.js';

function canRunKernel(): boolean {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync('ipset', ['version'], { encoding: 'utf8' });
  return r.status === 0 && /v7\./.test(r.stdout);
}

const canRun = canRunKernel();
if (!canRun) console.log('datapath/ipset/kernel.test.ts: skipped (needs root and ipset v7)');

const ns = `kpt-${process.pid.toString(36)}${Math.floor(performance.now()).toString(36)}-ipset`;
let created = false;

function kernelSave(text: string): string {
  if (!created) {
    execFileSync('ip', ['netns', 'add', ns]);
    created = true;
  }
  const run = (args: string[], input?: string) =>
    spawnSync('ip', ['netns', 'exec', ns, 'ipset', ...args], { input, encoding: 'utf8' });
  run(['flush']);
  run(['destroy']);
  const r = run(['restore'], text);
  if (r.status !== 0) throw new Error(`real ipset refused the text: ${r.stderr}`);
  return run(['save']).stdout;
}

afterAll(() => {
  if (created) spawnSync('ip', ['netns', 'delete', ns]);
});

function canonical(text: string): string {
  const out: string[] = [];
  let block: string[] = [];
  const flush = (): void => {
    out.push(...block.sort());
    block = [];
  };
  for (const l of text.split('\n')) {
    if (l.startsWith('create ')) {
      flush();
      out.push(l);
    } else if (l) block.push(l);
  }
  flush();
  return out.join('\n');
}

const ip = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })).map(([c, d]) => `10.0.${c}.${d}`);
const net = fc.tuple(ip, fc.integer({ min: 1, max: 32 })).map(([a, l]) => `${a}/${l}`);
const pp = fc.oneof(
  fc.tuple(fc.constantFrom('tcp', 'udp', 'sctp', 'udplite'), fc.integer({ min: 0, max: 65535 })).map(([p, n]) => `${p}:${n}`),
  fc.integer({ min: 0, max: 65535 }).map(String),
  fc.constantFrom('icmp:ping', 'icmp:3/4', 'icmp:0/0', 'icmp:11/1', 'icmp:200/7', 'gre:0', 'esp:0'),
);
const typeSpec = fc.constantFrom(
  { type: 'hash:ip', elem: ip }, { type: 'hash:ip,port', elem: fc.tuple(ip, pp).map((x) => x.join(',')) },
  { type: 'hash:ip,port,ip', elem: fc.tuple(ip, pp, ip).map((x) => x.join(',')) },
  { type: 'hash:ip,port,net', elem: fc.tuple(ip, pp, net).map((x) => x.join(',')) },
  { type: 'hash:net', elem: net }, { type: 'hash:net,port', elem: fc.tuple(net, pp).map((x) => x.join(',')) },
  { type: 'bitmap:port', elem: fc.integer({ min: 100, max: 200 }).map(String) },
);

const setText = fc.tuple(typeSpec, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 0xffffffff }), fc.option(fc.integer({ min: 8, max: 31 })))
  .chain(([spec, counters, comment, initval, netmask]) => fc.record({
    header: fc.constant(`${spec.type}${spec.type === 'bitmap:port' ? ' range 100-200' : ` initval 0x${initval.toString(16)}`}` +
      `${spec.type === 'hash:ip' && netmask !== null ? ` netmask ${netmask}` : ''}${counters ? ' counters' : ''}${comment ? ' comment' : ''}`),
    elems: fc.array(fc.tuple(spec.elem, fc.boolean(), fc.nat(1000)).map(([e, nm, n]) =>
      `${e}${nm && spec.type.includes('net') ? ' nomatch' : ''}${counters ? ` packets ${n} bytes ${n * 60}` : ''}${comment && n % 2 ? ` comment "c ${n}"` : ''}`),
    { maxLength: 15 }),
  }));

describe.skipIf(!canRun)('against the real ipset', () => {
  it('save after restore equals the kernel\'s, member order aside', () => {
    fc.assert(fc.property(fc.array(setText, { minLength: 1, maxLength: 4 }), (sets) => {
      const text = sets.map((s, i) => [`create s${i} ${s.header}`, ...s.elems.map((e) => `add s${i} ${e} -exist`)].join('\n')).join('\n') + '\n';
      const real = kernelSave(text);
      expect(real).toContain('create s0 ');
      const ours = new IpsetRegistry(new Clock(), new Rng(1)).restore(text).save({ initval: 'actual' });
      expect(canonical(ours)).toBe(canonical(real));
    }), { numRuns: 40 });
  }, 60_000);
});

const netSet = fc.record({
  type: fc.constantFrom('hash:net', 'hash:net,port', 'hash:ip,port,net'),
  elems: fc.array(fc.tuple(net, fc.boolean(), fc.constantFrom('tcp:80', 'udp:80')), { maxLength: 12 }),
  probes: fc.array(fc.tuple(ip, fc.constantFrom('tcp:80', 'udp:80')), { minLength: 1, maxLength: 6 }),
});

function elemText(type: string, n: string, p: string): string {
  return type === 'hash:net' ? n : type === 'hash:net,port' ? `${n},${p}` : `1.1.1.1,${p},${n}`;
}

describe.skipIf(!canRun)('ipset test against the real ipset', () => {
  it('most specific prefix and nomatch decide as in the kernel', () => {
    fc.assert(fc.property(netSet, (s) => {
      const text = [`create t ${s.type}`, ...s.elems.map(([n, nm, p]) => `add t ${elemText(s.type, n, p)}${nm ? ' nomatch' : ''} -exist`)].join('\n') + '\n';
      kernelSave(text);
      const ours = new IpsetRegistry(new Clock(), new Rng(1)).restore(text);
      for (const [a, p] of s.probes) {
        const e = elemText(s.type, a, p);
        const real = spawnSync('ip', ['netns', 'exec', ns, 'ipset', '-q', 'test', 't', e]).status === 0;
        expect(ours.test('t', e)).toBe(real);
      }
    }), { numRuns: 40 });
  }, 60_000);
});
