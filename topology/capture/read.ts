/**
 * readCapture: a capture directory (spec/capture.md) into parsed records per namespace. Files kpath
 * parses elsewhere (iptables-save, ipset save, route.json, rule.json, nft, ipvsadm, conntrack) are
 * returned as text. A missing file is a warning (the tool was absent on the host); anything not
 * understood is a warning with its file and JSON path or line; only an unreadable manifest or a
 * malformed file is a CaptureError.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAddrJson } from './parse/addr.js';
import { parseFdbJson } from './parse/fdb.js';
import type { Parsed } from './parse/json.js';
import { parseLinkJson } from './parse/link.js';
import { parseManifest } from './parse/manifest.js';
import { parseNeighJson } from './parse/neigh.js';
import { parseSysctlTxt } from './parse/sysctl.js';
import { CaptureError, type CaptureData, type CaptureNamespace, type CaptureWarning } from './types.js';

/** The files every capture should have (the optional ones are nft.txt, ipvsadm.txt, conntrack.txt). */
export const CAPTURE_FILES = [
  'iptables-save.txt', 'ipset-save.txt', 'link.json', 'addr.json', 'route.json', 'rule.json',
  'neigh.json', 'fdb.json', 'sysctl.txt',
] as const;
export const OPTIONAL_CAPTURE_FILES = ['nft.txt', 'ipvsadm.txt', 'conntrack.txt', 'sockets.txt'] as const;

async function readText(path: string, file: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CaptureError(file, '', `cannot read: ${(e as Error).message}`);
  }
}

export async function readCapture(dir: string): Promise<CaptureData> {
  const warnings: CaptureWarning[] = [];
  const manifestText = await readText(join(dir, 'manifest.json'), 'manifest.json');
  if (manifestText === null) throw new CaptureError('manifest.json', '', `no manifest.json in ${dir}: not a kpath capture`);
  const manifest = take(parseManifest(manifestText), warnings);
  const namespaces = new Map<string, CaptureNamespace>();

  for (const m of manifest.namespaces) {
    const text = async (name: string, required: boolean): Promise<string | null> => {
      const file = `${m.netns}/${name}`;
      const t = await readText(join(dir, m.netns, name), file);
      if (t === null && required) warnings.push({ file, message: 'file absent (the tool was not on the host); its state is unknown' });
      return t;
    };
    const parsed = async <T>(name: string, parse: (t: string, file: string) => Parsed<T>): Promise<T | null> => {
      const t = await text(name, true);
      return t === null ? null : take(parse(t, `${m.netns}/${name}`), warnings);
    };
    const neigh = await parsed('neigh.json', parseNeighJson);
    const ns: CaptureNamespace = {
      name: m.netns,
      brNetfilter: m.brNetfilter,
      listId: m.listId,
      links: await parsed('link.json', parseLinkJson),
      addresses: await parsed('addr.json', parseAddrJson),
      neighbours: neigh?.neighbours ?? null,
      fdb: await parsed('fdb.json', parseFdbJson),
      sysctls: await parsed('sysctl.txt', parseSysctlTxt),
      vethPeers: new Map(),
      raw: {
        iptablesSave: await text('iptables-save.txt', true),
        ipsetSave: await text('ipset-save.txt', true),
        routeJson: await text('route.json', true),
        ruleJson: await text('rule.json', true),
        nft: await text('nft.txt', false),
        ipvsadm: await text('ipvsadm.txt', false),
        conntrack: await text('conntrack.txt', false),
      },
    };
    namespaces.set(m.netns, ns);
  }
  resolveVethPeers(namespaces, warnings);
  return { dir, manifest, namespaces, warnings };
}

function take<T>(p: Parsed<T>, warnings: CaptureWarning[]): T {
  warnings.push(...p.warnings);
  return p.value;
}

/**
 * A veth's peer: `link_netnsid` through this namespace's list-id table names the peer namespace,
 * `link_index` the peer's ifindex there; without link_netnsid the peer is in the same namespace.
 * A peer in a namespace that was not captured is a warning: the trace ends at that veth.
 */
export function resolveVethPeers(namespaces: Map<string, CaptureNamespace>, warnings: CaptureWarning[]): void {
  for (const ns of namespaces.values()) {
    for (const [i, link] of (ns.links ?? []).entries()) {
      if (link.kind !== 'veth' || link.peer === null) continue;
      const file = `${ns.name}/link.json`;
      const path = `$[${i}]`;
      const p = link.peer;
      let peerNs: string | null | undefined = ns.name;
      if (p.netnsid !== null) {
        peerNs = ns.listId.get(p.netnsid);
        if (peerNs === undefined || peerNs === null) {
          warnings.push({ file, path: `${path}.link_netnsid`, message: `veth "${link.name}": nsid ${p.netnsid} is ${peerNs === undefined ? 'not in the manifest\'s list_id' : 'an unnamed namespace'}; its peer is unknown` });
          continue;
        }
      }
      const other = namespaces.get(peerNs);
      if (!other) {
        warnings.push({ file, path, message: `veth "${link.name}": peer namespace "${peerNs}" was not captured` });
        continue;
      }
      const peer = p.ifindex !== null && (p.netnsid !== null || p.name === null)
        ? other.links?.find((l) => l.ifindex === p.ifindex)
        : other.links?.find((l) => l.name === p.name);
      if (!peer) {
        warnings.push({ file, path, message: `veth "${link.name}": no peer ${p.ifindex !== null ? `ifindex ${p.ifindex}` : `"${p.name}"`} in "${peerNs}"` });
        continue;
      }
      ns.vethPeers.set(link.name, { netns: peerNs, name: peer.name });
    }
  }
}
