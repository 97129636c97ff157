/**
 * flannel (flannel-io/cni-plugin; spec/cni.md §12): reads the subnet.env flanneld writes, builds
 * a delegate configuration (bridge + host-local by default) from it, saves that configuration
 * under the container id and runs the delegate; DEL replays the saved configuration.
 *
 * DEVIATION: the defaults `/run/flannel/subnet.env` and `/var/lib/cni/flannel` are read under the
 * emulated host's directory (`<host dir>/run/flannel/subnet.env`, ...); absolute paths in the
 * config are used as given.
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from './errors.js';
import { delegateAdd, delegateVerb } from './delegate.js';
import { formatIp, networkOf, parseIpNet } from './ip.js';
import type { CniPlugin, PluginContext } from './skel.js';

export interface SubnetEnv {
  networks: string[];
  subnet: string | null;
  ipv6Networks: string[];
  ipv6Subnet: string | null;
  mtu: number | null;
  ipmasq: boolean | null;
}

export function parseSubnetEnv(text: string, file: string): SubnetEnv {
  const env: SubnetEnv = { networks: [], subnet: null, ipv6Networks: [], ipv6Subnet: null, mtu: null, ipmasq: null };
  const nets = (v: string, line: number) => [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s !== ''))].map((s) => {
    if (parseIpNet(s) === null) fail(`${file}:${line}: expected a CIDR, got "${s}"`);
    return s;
  });
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (line === '' || eq < 0) return;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    switch (k) {
      case 'FLANNEL_NETWORK': env.networks = nets(v, i + 1); break;
      case 'FLANNEL_SUBNET': env.subnet = nets(v, i + 1)[0] ?? null; break;
      case 'FLANNEL_IPV6_NETWORK': env.ipv6Networks = nets(v, i + 1); break;
      case 'FLANNEL_IPV6_SUBNET': env.ipv6Subnet = nets(v, i + 1)[0] ?? null; break;
      case 'FLANNEL_MTU': {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0) fail(`${file}:${i + 1}: FLANNEL_MTU: expected a positive integer, got "${v}"`);
        env.mtu = n;
        break;
      }
      case 'FLANNEL_IPMASQ': env.ipmasq = v === 'true'; break;
    }
  });
  const missing: string[] = [];
  if (env.networks.length === 0 && env.ipv6Networks.length === 0) missing.push('FLANNEL_NETWORK', 'FLANNEL_IPV6_NETWORK');
  if (env.subnet === null && env.ipv6Subnet === null) missing.push('FLANNEL_SUBNET', 'FLANNEL_IPV6_SUBNET');
  if (env.mtu === null) missing.push('FLANNEL_MTU');
  if (env.ipmasq === null) missing.push('FLANNEL_IPMASQ');
  if (missing.length > 0) fail(`${file} is missing ${missing.join(', ')}`);
  return env;
}

/** Go's json.Marshal of a map: keys sorted, recursively. */
export function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) o[k] = sort((x as Record<string, unknown>)[k]);
      return o;
    }
    return x;
  };
  return JSON.stringify(sort(v));
}

function netOf(cidr: string): string {
  const n = parseIpNet(cidr)!;
  return `${formatIp(networkOf(n))}/${n.prefix}`;
}

/** The delegate configuration flannel builds (cni-plugin's flannel_linux.go doFlannelAdd). */
export function delegateConfig(ctx: PluginContext, env: SubnetEnv): Record<string, unknown> {
  const c = ctx.conf;
  const delegate = c['delegate'] === undefined ? {} : (c['delegate'] as Record<string, unknown>);
  if (typeof delegate !== 'object' || delegate === null || Array.isArray(delegate)) fail('delegate: expected an object');
  if ('name' in delegate) fail(`"delegate" field must not have "name" field`);
  if ('ipam' in delegate) fail(`"delegate" field must not have "ipam" field`);
  const d: Record<string, unknown> = { ...delegate };
  d['name'] = ctx.name;
  if (d['type'] === undefined) d['type'] = 'bridge';
  if (typeof d['type'] !== 'string') fail('"delegate" field: "type" must be a string');
  if (d['ipMasq'] === undefined) d['ipMasq'] = !env.ipmasq;
  if (d['mtu'] === undefined) d['mtu'] = env.mtu;
  if (d['type'] === 'bridge' && d['isGateway'] === undefined) d['isGateway'] = true;
  if (typeof c['cniVersion'] === 'string' && c['cniVersion'] !== '') d['cniVersion'] = c['cniVersion'];
  if (c['runtimeConfig'] !== undefined) d['runtimeConfig'] = c['runtimeConfig'];
  const ipam: Record<string, unknown> = { ...((c['ipam'] as Record<string, unknown> | undefined) ?? {}) };
  if (ipam['type'] === undefined) ipam['type'] = 'host-local';
  const ranges: unknown[] = [];
  if (env.subnet !== null) ranges.push([{ subnet: netOf(env.subnet) }]);
  if (env.ipv6Subnet !== null) ranges.push([{ subnet: netOf(env.ipv6Subnet) }]);
  ipam['ranges'] = ranges;
  const routes = Array.isArray(ipam['routes']) ? [...(ipam['routes'] as unknown[])] : [];
  for (const n of env.networks) routes.push({ dst: n });
  for (const n of env.ipv6Networks) routes.push({ dst: n });
  ipam['routes'] = routes;
  d['ipam'] = ipam;
  return d;
}

function paths(ctx: PluginContext): { subnetFile: string; dataDir: string } {
  const c = ctx.conf;
  return {
    subnetFile: typeof c['subnetFile'] === 'string' && c['subnetFile'] !== '' ? (c['subnetFile'] as string) : join(ctx.hostDir(), 'run', 'flannel', 'subnet.env'),
    dataDir: typeof c['dataDir'] === 'string' && c['dataDir'] !== '' ? (c['dataDir'] as string) : join(ctx.hostDir(), 'var', 'lib', 'cni', 'flannel'),
  };
}

export const flannel: CniPlugin = {
  type: 'flannel',
  add(ctx) {
    const { subnetFile, dataDir } = paths(ctx);
    let text: string;
    try {
      text = readFileSync(subnetFile, 'utf8');
    } catch (e) {
      fail(`failed to load flannel 'subnet.env' file: open ${subnetFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}. Check the flannel pod log for this node.`);
    }
    const env = parseSubnetEnv(text!, subnetFile);
    const d = delegateConfig(ctx, env);
    const bytes = sortedJson(d);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, ctx.containerId), bytes, { mode: 0o600 });
    return delegateAdd(d['type'] as string, bytes, ctx);
  },
  del(ctx) {
    const { dataDir } = paths(ctx);
    const file = join(dataDir, ctx.containerId);
    if (!existsSync(file)) return;
    const bytes = readFileSync(file, 'utf8');
    let d: Record<string, unknown>;
    try {
      d = JSON.parse(bytes) as Record<string, unknown>;
    } catch (e) {
      fail(`failed to parse netconf: ${(e as Error).message}`);
    }
    delegateVerb(String(d['type'] ?? 'bridge'), 'DEL', bytes, ctx);
    unlinkSync(file);
  },
  check() {
    /* flannel's CHECK is a no-op */
  },
};
