import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCluster } from '../cluster.js';
import { traceOnce } from '../trace.js';
import { decodeSnapshot, encodeSnapshot, SnapshotError } from './snapshot.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

describe('CBOR snapshots', () => {
  for (const [fixture, probes] of [
    ['two-nodes.yaml', [['default/client', 'svc/default/web:80/tcp'], ['default/client', 'default/web-2:8080'], ['node/node-2', 'svc/kube-system/kube-dns:53/udp'], ['default/client', 'default/web-1:9999']]],
    ['nodeport.yaml', [['host/laptop', 'node/node-1:30080/tcp']]],
    ['no-endpoints.yaml', [['default/client', 'svc/default/ghost:80']]],
  ] as const) {
    it(`reloads ${fixture} into a world that traces exactly as the original`, async () => {
      const original = await loadCluster(join(FIXTURES, fixture), { seed: 5 });
      const bytes = encodeSnapshot(original);
      const copy = decodeSnapshot(bytes);
      expect(copy.world.namespaces.size).toBe(original.world.namespaces.size);
      for (const name of original.world.namespaces.keys()) {
        expect(copy.world.netns(name).xtables.save(), name).toBe(original.world.netns(name).xtables.save());
      }
      for (const [from, to] of probes) {
        const a = traceOnce(original, { from, to, sport: 40000, seed: 9 });
        const b = traceOnce(copy, { from, to, sport: 40000, seed: 9 });
        expect(b).toEqual(a);
      }
    });
  }

  it('refuses what is not a snapshot with a clear error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeSnapshot(bytes, 'x.cbor');
      } catch (e) {
        expect(e).toBeInstanceOf(SnapshotError);
        expect((e as Error).message).toMatch(/^x\.cbor: /);
      }
    }));
  });
});
