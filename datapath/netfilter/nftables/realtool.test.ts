/** Differential test against the real nft: load the same transaction in a scratch namespace, compare listings. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { NftRuleset } from './ruleset.js';

function can(): boolean {
  try {
    if (process.getuid?.() !== 0) return false;
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch { return false; }
}
const canRun = can();
if (!canRun) console.log('nftables realtool.test: skipped (needs root and nft)');
const NS = `kpt-${process.pid.toString(36)}-nft`;
const TX = new URL('./testdata/node-1.nft-transaction.txt', import.meta.url).pathname;

describe('real nft', () => {
  afterAll(() => { if (canRun) try { execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' }); } catch { /* absent */ } });
  it.skipIf(!canRun)('lists the worked example transaction, applied twice, as kpath does', () => {
    execFileSync('ip', ['netns', 'add', NS]);
    const r = new NftRuleset();
    for (let i = 0; i < 2; i++) {
      execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', TX]);
      r.apply(readFileSync(TX, 'utf8'), 'tx');
      expect(r.list()).toBe(execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }));
    }
  });

  it.skipIf(!canRun)('reads back what nft list ruleset printed, and nft reads back what kpath lists', () => {
    execFileSync('ip', ['netns', 'exec', NS, 'nft', 'flush', 'ruleset']);
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', TX]);
    const listed = execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });
    const r = new NftRuleset();
    r.apply(listed, 'listed');
    expect(r.list()).toBe(listed);
    // nft itself restores the block form kpath prints to the same ruleset.
    execFileSync('ip', ['netns', 'exec', NS, 'nft', 'flush', 'ruleset']);
    execFileSync('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], { input: r.list() });
    expect(execFileSync('ip', ['netns', 'exec', NS, 'nft', 'list', 'ruleset'], { encoding: 'utf8' })).toBe(listed);
  });
});
