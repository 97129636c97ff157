/**
 * The typed sysctl getters: the kernel's rules for `all`, `default` and the device's own value, and
 * answers that follow every set() (they are worked out once per device and kept until then).
 */
import { describe, expect, it } from 'vitest';
import { Sysctls } from './sysctl.js';

describe('Sysctls', () => {
  it('rp_filter is the maximum of all and the device (default when the device has none)', () => {
    const s = new Sysctls();
    expect(s.rpFilter('eth0')).toBe(0);
    s.set('net.ipv4.conf.default.rp_filter', '2');
    expect(s.rpFilter('eth0')).toBe(2);
    s.set('net.ipv4.conf.eth0.rp_filter', '0');
    expect(s.rpFilter('eth0')).toBe(0);
    s.set('net.ipv4.conf.all.rp_filter', '1');
    expect(s.rpFilter('eth0')).toBe(1);
    expect(s.rpFilter('eth1')).toBe(2);
  });

  it('forwarding follows ip_forward unless the device has its own; boolean flags are all OR device', () => {
    const s = new Sysctls();
    expect(s.forwarding('cni0')).toBe(false);
    s.set('net.ipv4.ip_forward', '1');
    expect(s.ipForward).toBe(true);
    expect(s.forwarding('cni0')).toBe(true);
    s.set('net.ipv4.conf.cni0.forwarding', '0');
    expect(s.forwarding('cni0')).toBe(false);
    expect(s.routeLocalnet('eth0')).toBe(false);
    s.set('net.ipv4.conf.eth0.route_localnet', '1');
    expect(s.routeLocalnet('eth0')).toBe(true);
    expect(s.routeLocalnet('eth1')).toBe(false);
    s.set('net.ipv4.conf.all.route_localnet', '1');
    expect(s.routeLocalnet('eth1')).toBe(true);
  });

  it('namespace-wide values follow set()', () => {
    const s = new Sysctls();
    expect([s.defaultTtl, s.bridgeNfCallIptables]).toEqual([64, true]);
    s.set('net.ipv4.ip_default_ttl', '32');
    s.set('net.bridge.bridge-nf-call-iptables', '0');
    expect([s.defaultTtl, s.bridgeNfCallIptables]).toEqual([32, false]);
  });
});
