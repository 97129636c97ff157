/**
 * The benchmarks' deterministic counters, never their wall-clock figures: the rules a first packet
 * costs must be the kernel's linear-walk count whatever short cuts the evaluator takes.
 */
import { describe, expect, it } from 'vitest';
import { XtablesRuleset } from '../datapath/netfilter/xtables/ruleset.js';
import { FIXED_RULES, natTable, RULES_PER_SERVICE, services } from './generate.js';
import { parseCounters } from './parse.js';
import { traceCounters } from './trace.js';
import { BACKENDS, nodeWorld } from './world.js';

function summary(n: number, target: 'first' | 'last') {
  const c = traceCounters({ services: n, target });
  return {
    position: c.position,
    rulesEvaluated: c.rulesEvaluated,
    rulesEvaluatedLinear: c.rulesEvaluatedLinear,
    rulesExpected: c.rulesExpected,
    deliveredTo: c.deliveredTo,
    verdict: c.verdict,
  };
}

describe('generated kube-proxy nat table', () => {
  it('has 7 rules and 3 chains per service and saves back to the same text', () => {
    for (const n of [1, 10, 100]) {
      const { counters } = parseCounters(n);
      expect(counters.rules).toBe(RULES_PER_SERVICE * n + FIXED_RULES);
      expect(counters.chains).toBe(3 * n + 8); // 4 built-in + KUBE-MARK-MASQ, -NODEPORTS, -POSTROUTING, -SERVICES
      expect(counters.roundTrip).toBe(true);
    }
  });

  it('names chains as kube-proxy does (KUBE-SVC-/KUBE-SEP- + 16 base32 characters) and never twice', () => {
    const svcs = services(200, { backends: BACKENDS });
    const names = svcs.flatMap((s) => [s.svcChain, ...s.sepChains]);
    for (const name of names) expect(name).toMatch(/^KUBE-(SVC|SEP)-[A-Z2-7]{16}$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('restores into an empty ruleset without warnings', () => {
    const r = XtablesRuleset.empty().restore(natTable(services(10, { backends: BACKENDS })));
    expect(r.warnings).toEqual([]);
    expect(r.tables).toEqual(['nat']);
  });
});

describe('first-packet counters', () => {
  it('pod → pod walks no rules when the node has none', () => {
    const c = traceCounters({ services: 0, target: 'pod' });
    expect(c.verdict).toBe('delivered');
    expect(c.rulesEvaluated).toBe(0);
    expect(c.namespaceHops).toBe(2);
  });

  it('N = 10, first service', () => {
    expect(summary(10, 'first')).toMatchInlineSnapshot(`
      {
        "deliveredTo": "backend-1",
        "position": 1,
        "rulesEvaluated": 8,
        "rulesEvaluatedLinear": 8,
        "rulesExpected": 8,
        "verdict": "delivered",
      }
    `);
  });

  it('N = 10, last service', () => {
    expect(summary(10, 'last')).toMatchInlineSnapshot(`
      {
        "deliveredTo": "backend-1",
        "position": 10,
        "rulesEvaluated": 17,
        "rulesEvaluatedLinear": 17,
        "rulesExpected": 17,
        "verdict": "delivered",
      }
    `);
  });

  it('N = 100, first service', () => {
    expect(summary(100, 'first')).toMatchInlineSnapshot(`
      {
        "deliveredTo": "backend-1",
        "position": 1,
        "rulesEvaluated": 8,
        "rulesEvaluatedLinear": 8,
        "rulesExpected": 8,
        "verdict": "delivered",
      }
    `);
  });

  it('N = 100, last service', () => {
    expect(summary(100, 'last')).toMatchInlineSnapshot(`
      {
        "deliveredTo": "backend-1",
        "position": 100,
        "rulesEvaluated": 107,
        "rulesEvaluatedLinear": 107,
        "rulesExpected": 107,
        "verdict": "delivered",
      }
    `);
  });

  it('grows by one rule per service before the target, as the kernel walk does', () => {
    for (const n of [10, 100]) {
      const first = traceCounters({ services: n, target: 'first' });
      const last = traceCounters({ services: n, target: 'last' });
      for (const c of [first, last]) {
        expect(c.rulesEvaluated).toBe(c.rulesEvaluatedLinear);
        expect(c.rulesEvaluated).toBe(c.rulesExpected);
      }
      // Same seed, same endpoint choice: the difference is the services walked past.
      expect(first.deliveredTo).toBe(last.deliveredTo);
      expect(last.rulesEvaluated - first.rulesEvaluated).toBe(n - 1);
    }
  });

  it('counts a second SYN of the same connection as no nat rules (conntrack skips nat)', async () => {
    const { FirstPacketProber } = await import('./trace.js');
    const { mustParseIPv4 } = await import('../datapath/addr/ipv4.js');
    const { sendProbe } = await import('../datapath/stack/probe.js');
    const b = nodeWorld(10);
    const dst = mustParseIPv4(b.services[9]!.clusterIp);
    const first = new FirstPacketProber(b.world, dst, 80).send();
    const again = sendProbe(b.world, { from: 'client', src: null, dst, proto: 6, sport: 1024, dport: 80 });
    expect(first.cost.rulesEvaluated).toBeGreaterThan(10);
    expect(again.verdict).toBe('delivered');
    expect(again.cost.rulesEvaluated).toBe(0);
  });
});
