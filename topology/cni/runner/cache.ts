/**
 * libcni's result cache (api.go cacheAdd/getCachedResult): one file per attachment,
 * `<cacheDir>/results/<network>-<containerID>-<ifname>`, mode 0600 in a 0700 directory, holding the
 * final ADD result with everything needed to DEL the attachment later (netns, args, capabilities, the
 * list's bytes).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_CNI_CACHE_DIR = '/var/lib/cni';

export interface CachedAttachment {
  kind: 'cniCacheV1';
  containerId: string;
  config: string; // base64 of the list's bytes
  ifName: string;
  networkName: string;
  netns: string;
  cniArgs?: Array<[string, string]>;
  capabilityArgs?: Record<string, unknown>;
  result?: unknown;
}

export function cacheFile(cacheDir: string, network: string, containerId: string, ifname: string): string {
  return join(cacheDir, 'results', `${network}-${containerId}-${ifname}`);
}

export function writeCache(cacheDir: string, entry: CachedAttachment): void {
  const dir = join(cacheDir, 'results');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = cacheFile(cacheDir, entry.networkName, entry.containerId, entry.ifName);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * Reads an attachment's cache. Returns undefined when there is none; `corrupt` when the file exists but
 * cannot be read as JSON (libcni then deletes it and proceeds without a cached result). Caches of older
 * libcni versions hold a bare result; it is returned as `result`.
 */
export function readCache(cacheDir: string, network: string, containerId: string, ifname: string): CachedAttachment | 'corrupt' | undefined {
  let text: string;
  try {
    text = readFileSync(cacheFile(cacheDir, network, containerId, ifname), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (o.kind === 'cniCacheV1') return o as unknown as CachedAttachment;
    return { kind: 'cniCacheV1', containerId, ifName: ifname, networkName: network, netns: '', config: '', result: o };
  } catch {
    return 'corrupt';
  }
}

export function removeCache(cacheDir: string, network: string, containerId: string, ifname: string): void {
  rmSync(cacheFile(cacheDir, network, containerId, ifname), { force: true });
}

/** Every cached attachment of one network (libcni GetCachedAttachments), for GC. */
export function listCachedAttachments(cacheDir: string, network: string): CachedAttachment[] {
  let names: string[];
  try {
    names = readdirSync(join(cacheDir, 'results'));
  } catch {
    return [];
  }
  const out: CachedAttachment[] = [];
  for (const n of names) {
    if (!n.startsWith(`${network}-`) || n.endsWith('.tmp')) continue;
    try {
      const o = JSON.parse(readFileSync(join(cacheDir, 'results', n), 'utf8')) as CachedAttachment;
      if (o.kind === 'cniCacheV1' && o.networkName === network) out.push(o);
    } catch {
      continue;
    }
  }
  return out;
}
