/**
 * ipvsadm.txt in a capture: an IPVS-mode node's virtual services are restored into its namespace,
 * so a trace to a service address goes where IPVS would send it. The node of the `service` oracle
 * capture is given what kube-proxy's IPVS mode adds (the service address on a local device and an
 * `ipvsadm -Sn` listing); this kernel has no IPVS, so the expected fates follow the kernel source.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { traceOnce } from '../trace.js';
import { captureWorld } from './world.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'captures', 'service');
const NODE = 'kpo-service-node';
const VIP = '10.96.77.77';
const work = mkdtempSync(join(tmpdir(), 'kpath-ipvs-capture-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The service capture, its node holding VIP on lo (kube-ipvs0's role: the address and its local
 *  route), with `ipvsadm` as given. */
function captureWith(name: string, ipvsadm: string | null): string {
  const dir = join(work, name);
  cpSync(FIXTURE, dir, { recursive: true });
  const addrFile = join(dir, NODE, 'addr.json');
  const addrs = JSON.parse(readFileSync(addrFile, 'utf8')) as { ifname: string; addr_info: object[] }[];
  addrs.find((a) => a.ifname === 'lo')!.addr_info.push({ family: 'inet', local: VIP, prefixlen: 32, scope: 'global', label: 'lo' });
  writeFileSync(addrFile, JSON.stringify(addrs));
  // The local route the kernel adds with the address (the capture's route.json is what kpath routes by).
  const routeFile = join(dir, NODE, 'route.json');
  const routes = JSON.parse(readFileSync(routeFile, 'utf8')) as object[];
  routes.push({ type: 'local', dst: VIP, dev: 'lo', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: VIP, flags: [] });
  writeFileSync(routeFile, JSON.stringify(routes));
  if (ipvsadm !== null) writeFileSync(join(dir, NODE, 'ipvsadm.txt'), ipvsadm);
  return dir;
}

async function trace(dir: string) {
  const { scope, warnings } = await captureWorld(dir);
  const r = traceOnce(scope, { from: 'netns/kpo-service-pod-b', to: `${VIP}:80/tcp`, sport: 47000 });
  return { r, warnings };
}

describe('captures import ipvsadm.txt', () => {
  it('sends a packet to a virtual service on to its real server, masqueraded per the listing', async () => {
    const dir = captureWith('ipvs', `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.244.1.2:8080 -m -w 1\n`);
    const { r, warnings } = await trace(dir);
    expect(warnings.filter((w) => w.includes('ipvsadm'))).toEqual([]);
    expect(r.verdict).toBe('delivered');
    expect(r.final).toMatchObject({ netns: 'kpo-service-pod-a', interface: 'eth0', dst: '10.244.1.2', dport: 8080 });
  });

  it('without the listing, the address is only the node\'s own', async () => {
    const { r } = await trace(captureWith('plain', null));
    expect(r.verdict).toBe('delivered');
    expect(r.final).toMatchObject({ netns: NODE, dst: VIP, dport: 80 });
  });

  it('a listing it cannot read is a located warning, and traces ignore all of it', async () => {
    const dir = captureWith('broken', `-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 10.244.1.2:8080 -m -w 1\n-A -t nonsense\n`);
    const { r, warnings } = await trace(dir);
    expect(warnings.filter((w) => w.includes('ipvsadm'))).toEqual([
      `${NODE}/ipvsadm.txt:3:7: expected IPv4-ADDRESS:PORT, got "nonsense"; traces ignore ${NODE}/ipvsadm.txt`,
    ]);
    expect(r.final).toMatchObject({ netns: NODE, dst: VIP, dport: 80 });
  });
});
