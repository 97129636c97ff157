import { describe, expect, it, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from './conformance.js';
import { EmulatedTarget } from './emulated-target.js';
import { BUILTIN_CONFS } from './defaults.js';
import { installPlugins } from '../install.js';

// Every plugin run starts a Node process that loads kpath, so a full checklist takes minutes per
// plugin; the suite runs only when asked (KPATH_CNI_OWN_CONFORMANCE=1), e.g. in a nightly job.
const wanted = process.env.KPATH_CNI_OWN_CONFORMANCE === '1';
if (!wanted) console.log('skipping the conformance run of kpath\'s own CNI plugins: set KPATH_CNI_OWN_CONFORMANCE=1 (takes minutes)');

const dir = mkdtempSync(join(tmpdir(), 'kpath-own-cni-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('kpath\'s own plugins pass every check (emulated target)', () => {
  for (const plugin of ['host-local', 'bridge', 'ptp', 'loopback', 'portmap']) {
    it.skipIf(!wanted)(plugin, { timeout: 1_200_000 }, async () => {
      installPlugins(dir, { from: 'auto' });
      const target = new EmulatedTarget();
      try {
        const r = await runConformance({ cniPath: [dir], plugin, conf: structuredClone(BUILTIN_CONFS[plugin]!) as Record<string, unknown>, target });
        expect(r.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.id} ${c.status}: ${c.detail}`)).toEqual([]);
      } finally {
        await target.close();
      }
    });
  }
});
