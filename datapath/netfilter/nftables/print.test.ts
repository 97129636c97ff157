import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftRuleset } from './ruleset.js';
import { formatDuration, formatPriority } from './print.js';

const read = (f: string) => readFileSync(new URL(`./testdata/${f}`, import.meta.url), 'utf8');

describe('nft list ruleset', () => {
  it('prints the worked example exactly as nft 1.0.6 did', () => {
    const r = new NftRuleset();
    r.apply(read('node-1.nft-transaction.txt'), 'node-1.nft-transaction.txt');
    expect(r.list()).toBe(read('node-1.nft.txt'));
  });

  it('a second full sync re-creates the base chains, which then list last (as the real nft showed)', () => {
    const r = new NftRuleset();
    r.apply(read('node-1.nft-transaction.txt'));
    r.apply(read('node-1.nft-transaction.txt'));
    expect(r.list()).toBe(read('node-1.nft-twice.txt'));
  });

  it('names priorities as prio2str does', () => {
    expect(formatPriority('prerouting', -110)).toBe('dstnat - 10');
    expect(formatPriority('input', -110)).toBe('-110');
    expect(formatPriority('output', -100)).toBe('-100');
    expect(formatPriority('postrouting', 100)).toBe('srcnat');
    expect(formatPriority('postrouting', 110)).toBe('srcnat + 10');
    expect(formatPriority('prerouting', -300)).toBe('raw');
    expect(formatPriority('input', 0)).toBe('filter');
    expect(formatPriority('output', -101)).toBe('-101');
  });

  it('prints durations as nft time_print does', () => {
    expect(formatDuration(10800)).toBe('3h');
    expect(formatDuration(100)).toBe('1m40s');
    expect(formatDuration(0)).toBe('0s');
  });

  it('wraps and sorts elements as nft 1.0.6 does', () => {
    const r = new NftRuleset();
    r.apply([
      'add table ip u',
      'add chain ip u c',
      'add set ip u s1 { type ipv4_addr ; }',
      'add element ip u s1 { 10.0.1.10, 10.0.0.20, 9.0.0.1 }',
      'add map ip u m1 { type ipv4_addr : verdict ; }',
      'add element ip u m1 { 1.1.1.1 : goto c, 2.2.2.2 : drop, 3.3.3.3 : accept, 4.4.4.4 : jump c, 5.5.5.5 : return }',
      'add set ip u s2 { type inet_service ; }',
      'add element ip u s2 { 1, 2, 3, 4, 5, 6, 7 }',
      'add set ip u s7 { type ipv4_addr . inet_proto . inet_service ; }',
      'add element ip u s7 { 10.0.0.20 . tcp . 80, 10.0.1.10 . tcp . 80, 10.0.0.20 . tcp . 256 }',
      'add rule ip u c ip daddr { 10.0.0.0/8 } drop',
      'add rule ip u c meta l4proto udp dnat to 1.2.3.4:53',
      'add rule ip u c meta mark set 0x10',
      'add rule ip u c mark 0x10 accept',
      'add rule ip u c ct state new,invalid drop',
      'add rule ip u c counter reject comment "x y"',
      '',
    ].join('\n'));
    expect(r.list()).toBe(`table ip u {
	set s1 {
		type ipv4_addr
		elements = { 9.0.0.1, 10.0.0.20,
			     10.0.1.10 }
	}

	map m1 {
		type ipv4_addr : verdict
		elements = { 1.1.1.1 : goto c, 2.2.2.2 : drop,
			     3.3.3.3 : accept, 4.4.4.4 : jump c,
			     5.5.5.5 : return }
	}

	set s2 {
		type inet_service
		elements = { 1, 2, 3, 4, 5,
			     6, 7 }
	}

	set s7 {
		type ipv4_addr . inet_proto . inet_service
		elements = { 10.0.0.20 . tcp . 256,
			     10.0.1.10 . tcp . 80,
			     10.0.0.20 . tcp . 80 }
	}

	chain c {
		ip daddr 10.0.0.0/8 drop
		meta l4proto udp dnat to 1.2.3.4:53
		meta mark set 0x00000010
		meta mark 0x00000010 accept
		ct state invalid,new drop
		counter packets 0 bytes 0 reject comment "x y"
	}
}
`);
  });
});
