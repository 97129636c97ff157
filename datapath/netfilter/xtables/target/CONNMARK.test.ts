import { describe, expect, it } from 'vitest';
import { CONNMARK } from './CONNMARK.js';
import { SET } from './SET.js';
import { NFLOG } from './NFLOG.js';
import { TRACE } from './TRACE.js';
import { NOTRACK } from './NOTRACK.js';
import { CT } from './CT.js';
import { attachCt, fakeContext, skbOf } from '../test-support/context.js';
import { splitRule } from '../test-support/saveline.js';
import type { TargetModule } from '../module.js';

function compile<D>(mod: TargetModule<D>, text: string, table = 'mangle'): D {
  const { header, sections } = splitRule(`-A PREROUTING -j ${mod.name} ${text}`, table);
  return mod.parse(sections[0]!.options, header);
}

describe('CONNMARK target', () => {
  it('folds input forms as libxt_CONNMARK does', () => {
    expect(CONNMARK.save(compile(CONNMARK, '--set-mark 3/0xf'))).toBe('--set-xmark 0x3/0xf');
    expect(CONNMARK.save(compile(CONNMARK, '--and-mark 0xf'))).toBe('--set-xmark 0x0/0xfffffff0');
    expect(CONNMARK.save(compile(CONNMARK, '--set-mark 0x1 --mask 0xf'))).toBe('--set-xmark 0x1/0xf');
    expect(CONNMARK.save(compile(CONNMARK, '--save-mark --mask 0xff'))).toBe('--save-mark --nfmask 0xff --ctmask 0xff');
    expect(() => compile(CONNMARK, '--mask 0xff')).toThrow(/No operation specified/);
    expect(() => compile(CONNMARK, '--save-mark --restore-mark')).toThrow(/cannot be used together/);
  });
  it('sets, saves and restores with masks (connmark_tg_shift)', () => {
    const skb = skbOf({}, { mark: 0x4321 });
    const ct = attachCt(skb, { mark: 0xff00 });
    CONNMARK.run(compile(CONNMARK, '--set-xmark 0x1/0xff'), skb, fakeContext());
    expect(ct.mark).toBe(0xff01);
    CONNMARK.run(compile(CONNMARK, '--save-mark --nfmask 0xf --ctmask 0xf'), skb, fakeContext());
    expect(ct.mark).toBe(0xff01);
    CONNMARK.run(compile(CONNMARK, '--restore-mark --nfmask 0xff00 --ctmask 0xff00'), skb, fakeContext());
    expect(skb.mark).toBe(0xff21);
    const bare = skbOf({}, { mark: 7 });
    expect(CONNMARK.run(compile(CONNMARK, '--restore-mark'), bare, fakeContext())).toEqual({ kind: 'continue' });
    expect(bare.mark).toBe(7);
  });
});

describe('SET, NFLOG, TRACE, NOTRACK, CT targets', () => {
  it('SET adds and deletes the packet element and counts the operations', () => {
    const ctx = fakeContext();
    ctx.ipsets.create('S');
    const skb = skbOf();
    SET.run(compile(SET, '--add-set S src'), skb, ctx);
    expect(ctx.ipsets.sets.get('S')!.has(String(skb.pkt.src))).toBe(true);
    SET.run(compile(SET, '--del-set S src'), skb, ctx);
    expect(ctx.ipsets.sets.get('S')!.size).toBe(0);
    expect(ctx.cost.setLookups).toBe(2);
    expect(() => compile(SET, '--exist')).toThrow(/--add-set/);
  });
  it('NFLOG logs and continues; defaults are not printed', () => {
    const ctx = fakeContext();
    const d = compile(NFLOG, '--nflog-group 2 --nflog-prefix "a b"');
    expect(NFLOG.save(d)).toBe('--nflog-prefix "a b" --nflog-group 2');
    expect(NFLOG.run(d, skbOf(), ctx)).toEqual({ kind: 'continue' });
    expect(ctx.logs[0]).toMatch(/^NFLOG group 2 a bIN=eth0 .*SRC=10\.0\.0\.1 DST=10\.0\.0\.2/);
  });
  it('TRACE sets nfTrace, NOTRACK and CT --notrack set untracked', () => {
    const skb = skbOf();
    TRACE.run(compile(TRACE, '', 'raw'), skb, fakeContext());
    expect(skb.nfTrace).toBe(true);
    NOTRACK.run(compile(NOTRACK, '', 'raw'), skb, fakeContext());
    expect(skb.untracked).toBe(true);
    const s2 = skbOf();
    CT.run(compile(CT, '--notrack', 'raw'), s2, fakeContext());
    expect(s2.untracked).toBe(true);
    const s3 = skbOf();
    CT.run(compile(CT, '--zone 5', 'raw'), s3, fakeContext());
    expect(s3.untracked).toBe(false);
    expect(TRACE.tables).toEqual(['raw']);
    expect(() => compile(TRACE, '--foo', 'raw')).toThrow(/unknown option/);
  });
});
