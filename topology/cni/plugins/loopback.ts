/**
 * loopback (plugins/main/loopback, v1.1.1; spec/cni.md §10): brings `lo` of the container up,
 * whatever CNI_IFNAME says. Results are printed in the requested version's proper schema (the 1.1.1
 * binary labels a 1.0.0-shaped result 0.2.0–0.4.0: deviation D11, not copied).
 */
import { fail } from './errors.js';
import { openNetns } from './netops.js';
import type { CniResult } from './result.js';
import { prevResultOf, type CniPlugin } from './skel.js';
import { linkDown, linkUp } from '../host/index.js';

export const loopback: CniPlugin = {
  type: 'loopback',
  add(ctx) {
    const host = ctx.host();
    const prev = prevResultOf(ctx);
    return host.transact((s): CniResult => {
      const ns = openNetns(host, s, ctx.netns);
      const n = s.world.netns(ns);
      for (const a of n.addresses('lo')) {
        if (a.addr >>> 24 !== 127) fail('loopback interface found with non-loopback address');
      }
      linkUp(s, ns, 'lo');
      if (prev !== null) return prev;
      return {
        interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: ctx.netns }],
        ips: [{ interface: 0, address: '127.0.0.1/8' }, { interface: 0, address: '::1/128' }],
        dns: {},
      };
    });
  },
  del(ctx) {
    if (ctx.netns === '') return;
    const host = ctx.host();
    host.transact((s) => {
      const ns = host.resolveNetns(s, ctx.netns);
      if (ns !== null) linkDown(s, ns, 'lo');
    });
  },
  check(ctx) {
    const host = ctx.host();
    const s = host.read();
    const ns = openNetns(host, s, ctx.netns);
    if (!s.world.netns(ns).link('lo').up) fail('loopback interface is down');
  },
};
