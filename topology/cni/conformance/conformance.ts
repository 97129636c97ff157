/**
 * The conformance runner: drives one plugin binary through the cases of spec/cni.md §13 on a target
 * (real namespaces or the emulated host) and judges every outcome. Each check gets a fresh host so no
 * check sees another's leftovers; every plugin run is also logged, and C01–C04 judge that whole log.
 */
import { execPlugin, findPlugin, type CniEnv, type ExecOutcome } from '../runner/exec.js';
import { KNOWN_CNI_VERSIONS, compareVersions, isKnownVersion, resultFamily } from '../runner/version.js';
import { convertResult, readResult } from '../runner/result.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKLIST, type CheckInfo, type CheckStatus } from './checklist.js';
import { BUILTIN_STATE_FILES } from './defaults.js';
import type { ConformanceHost, ConformanceTarget } from './target.js';

type Json = Record<string, unknown>;

export interface CheckResult extends CheckInfo {
  status: CheckStatus;
  detail: string;
}

export interface ConformanceReport {
  plugin: string;
  target: 'kernel' | 'emulated';
  supportedVersions: string[];
  checks: CheckResult[];
  summary: { total: number; pass: number; fail: number; warn: number; skip: number };
}

export interface ConformanceOptions {
  cniPath: string[];
  plugin: string;
  /** The plugin's configuration (a single plugin object); `@STATE@`/`@NETNS@` placeholders allowed. */
  conf: Json;
  target: ConformanceTarget;
  /** Only run these checks (ids); the rest are skipped. */
  only?: string[];
}

type Verdict = { ok: true; detail: string } | { ok: false; detail: string } | { skip: string };
const ok = (detail = ''): Verdict => ({ ok: true, detail });
const bad = (detail: string): Verdict => ({ ok: false, detail });
const skip = (reason: string): Verdict => ({ skip: reason });

interface Attachment { cid: string; netns: string; ifname: string }
interface Run { verb: string; outcome: ExecOutcome; json: unknown }

const WELL_KNOWN_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 11]);

function parseJson(s: string): unknown {
  if (s.trim() === '') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isErrorObject(v: unknown): v is { code: number; msg: string; details?: string } {
  return typeof v === 'object' && v !== null && typeof (v as Json).code === 'number' && typeof (v as Json).msg === 'string';
}

function errText(r: Run): string {
  if (isErrorObject(r.json)) return `code ${r.json.code} ${JSON.stringify(r.json.msg)}`;
  return `exit ${r.outcome.exitCode}${r.outcome.stdout !== '' ? ` stdout ${JSON.stringify(r.outcome.stdout.slice(0, 200))}` : ''}`;
}

const succeeded = (r: Run) => r.outcome.exitCode === 0;

/** One conformance session: the plugin, its configuration, what VERSION said, the log of runs. */
class Session {
  readonly log: Run[] = [];
  readonly file: string;
  versions: string[] = [];
  working: string | undefined;
  probe: { result: Json | undefined; error: string | undefined; sandboxIfnames: string[]; hostIfnames: string[] } | undefined;
  private seq = 0;

  constructor(readonly opts: ConformanceOptions) {
    this.file = findPlugin(opts.plugin, opts.cniPath);
  }

  get conf(): Json {
    return this.opts.conf;
  }
  get chained(): boolean {
    return this.conf.prevResult !== undefined;
  }
  get hasIpam(): boolean {
    return typeof this.conf.ipam === 'object' && this.conf.ipam !== null;
  }
  /** An IPAM plugin called directly (its own type in `ipam.type`), or one whose result has no interfaces. */
  get ipamPlugin(): boolean {
    const ipam = this.conf.ipam as Json | undefined;
    return ipam?.type === this.conf.type || (this.probe?.result !== undefined && this.probe.result.interfaces === undefined && !this.chained);
  }
  get createsIfname(): boolean {
    return !this.chained && this.probe !== undefined && this.probe.sandboxIfnames.length > 0;
  }

  cid(): string {
    return `kptctr${++this.seq}`;
  }

  async call(h: ConformanceHost, env: CniEnv, stdin: string): Promise<Run> {
    const outcome = await execPlugin(this.file, env, stdin, { ...h.exec, timeoutMs: 60_000 });
    const r = { verb: env.command ?? '', outcome, json: parseJson(outcome.stdout) };
    this.log.push(r);
    return r;
  }

  env(verb: string | undefined, a: Partial<Attachment> | undefined): CniEnv {
    return { command: verb, containerId: a?.cid, netns: a?.netns, ifname: a?.ifname, path: this.opts.cniPath.join(':') };
  }

  /** The configuration text for one call: version set (null = key removed), placeholders filled. */
  confText(h: ConformanceHost, version: string | null, netns: string | undefined, mutate?: (c: Json) => void): string {
    const text = JSON.stringify(this.conf).replaceAll('@STATE@', h.stateDir).replaceAll('@NETNS@', netns ?? '');
    const c = JSON.parse(text) as Json;
    if (version === null) delete c.cniVersion;
    else c.cniVersion = version;
    if (c.prevResult !== undefined && version !== null && isKnownVersion(version) && resultFamily(version) !== 'legacy') {
      c.prevResult = convertResult(c.prevResult, version);
    }
    mutate?.(c);
    return JSON.stringify(c);
  }

  async newHost(): Promise<ConformanceHost> {
    const h = await this.opts.target.newHost();
    for (const [name, content] of Object.entries(BUILTIN_STATE_FILES[String(this.conf.type)] ?? {})) {
      if (JSON.stringify(this.conf).includes(`@STATE@/${name}`)) writeFileSync(join(h.stateDir, name), content);
    }
    return h;
  }

  async attach(h: ConformanceHost, ifname = 'eth0', netns?: string): Promise<Attachment> {
    return { cid: this.cid(), netns: netns ?? (await h.newSandbox()), ifname };
  }

  add(h: ConformanceHost, a: Attachment, version = this.working!, mutate?: (c: Json) => void): Promise<Run> {
    return this.call(h, this.env('ADD', a), this.confText(h, version, a.netns, mutate));
  }

  /** DEL or CHECK; `prev` (an ADD result) goes in as prevResult from 0.4.0 on, as a runtime sends it. */
  verb(h: ConformanceHost, verb: 'DEL' | 'CHECK', a: Partial<Attachment>, version = this.working!, prev?: unknown, mutate?: (c: Json) => void): Promise<Run> {
    return this.call(h, this.env(verb, a), this.confText(h, version, a.netns, (c) => {
      if (prev !== undefined && compareVersions(version, '0.4.0') >= 0) c.prevResult = prev;
      mutate?.(c);
    }));
  }

  /** ADD then hand back the parsed result (undefined when the ADD failed). */
  async added(h: ConformanceHost, a: Attachment, version = this.working!, mutate?: (c: Json) => void): Promise<{ run: Run; result: Json | undefined }> {
    const run = await this.add(h, a, version, mutate);
    return { run, result: succeeded(run) && typeof run.json === 'object' && run.json !== null ? (run.json as Json) : undefined };
  }
}

async function withHost<T>(s: Session, fn: (h: ConformanceHost) => Promise<T>): Promise<T> {
  const h = await s.newHost();
  try {
    return await fn(h);
  } finally {
    await h.destroy();
  }
}

/** A copy of the configuration whose IPAM pool holds one address (host-local shape: subnet or ranges). */
function shrinkIpam(c: Json): boolean {
  const ipam = c.ipam as Json | undefined;
  if (ipam === undefined) return false;
  if (typeof ipam.subnet === 'string') {
    ipam.subnet = '10.250.0.0/30';
    delete ipam.rangeStart; delete ipam.rangeEnd; delete ipam.gateway;
    return true;
  }
  if (Array.isArray(ipam.ranges)) {
    ipam.ranges = [[{ subnet: '10.250.0.0/30' }]];
    return true;
  }
  return false;
}
const canShrink = (s: Session) => shrinkIpam(JSON.parse(JSON.stringify(s.conf)) as Json);

function addressesOf(result: Json | undefined): string[] {
  const ips = result?.ips;
  if (Array.isArray(ips)) return ips.map((i) => String((i as Json).address));
  const out: string[] = [];
  for (const k of ['ip4', 'ip6']) {
    const f = result?.[k] as Json | undefined;
    if (f !== undefined) out.push(String(f.ip));
  }
  return out;
}

const CIDR_RE = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\/\d{1,3})$/;

/** Structural check of a result against a version's schema (spec §5; addresses are C16's business). */
export function schemaProblems(r: unknown, version: string, ipamPlugin: boolean): string[] {
  const p: string[] = [];
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return ['result is not a JSON object'];
  const o = r as Json;
  if (o.cniVersion !== version) p.push(`cniVersion is ${JSON.stringify(o.cniVersion)}, expected ${JSON.stringify(version)}`);
  const fam = resultFamily(version);
  if (fam === 'legacy') {
    for (const k of ['interfaces', 'ips', 'routes']) if (k in o) p.push(`"${k}" is not part of the ${version} schema (expected ip4/ip6)`);
    for (const k of ['ip4', 'ip6']) {
      if (o[k] === undefined) continue;
      const f = o[k] as Json;
      if (typeof f !== 'object' || f === null || typeof f.ip !== 'string') p.push(`${k}.ip: expected a string`);
    }
    return p;
  }
  for (const k of ['ip4', 'ip6']) if (k in o) p.push(`"${k}" is not part of the ${version} schema`);
  if (o.interfaces !== undefined && !Array.isArray(o.interfaces)) p.push('interfaces: expected an array');
  const ifs = Array.isArray(o.interfaces) ? (o.interfaces as Json[]) : [];
  ifs.forEach((i, n) => {
    if (typeof i?.name !== 'string') p.push(`interfaces[${n}].name: expected a string`);
  });
  if (o.ips !== undefined && !Array.isArray(o.ips)) p.push('ips: expected an array');
  ((Array.isArray(o.ips) ? o.ips : []) as Json[]).forEach((ip, n) => {
    if (typeof ip?.address !== 'string') p.push(`ips[${n}].address: expected a string`);
    const fam6 = String(ip?.address ?? '').includes(':') ? '6' : '4';
    if (fam === 'v03' && ip?.version !== fam6) p.push(`ips[${n}].version: expected "${fam6}" for ${version}, got ${JSON.stringify(ip?.version)}`);
    if (fam === 'v1' && 'version' in ip) p.push(`ips[${n}].version: not part of the ${version} schema`);
    if (ip?.interface !== undefined && !ipamPlugin && (typeof ip.interface !== 'number' || ip.interface < 0 || ip.interface >= ifs.length)) {
      p.push(`ips[${n}].interface: ${JSON.stringify(ip.interface)} does not index interfaces`);
    }
  });
  ((Array.isArray(o.routes) ? o.routes : []) as Json[]).forEach((rt, n) => {
    if (typeof rt?.dst !== 'string') p.push(`routes[${n}].dst: expected a string`);
  });
  return p;
}

type CheckFn = (s: Session) => Promise<Verdict>;

const needsAdd = (s: Session): Verdict | undefined => (s.probe?.result === undefined ? skip('the plugin\'s ADD failed (see C15)') : undefined);

const CHECKS: Record<string, CheckFn> = {
  async C05(s) {
    const problems: string[] = [];
    await withHost(s, async (h) => {
      for (const stdin of ['{"cniVersion":"1.1.0"}', '', 'this is not json']) {
        const r = await s.call(h, { command: 'VERSION' }, stdin);
        const j = r.json as Json | undefined;
        if (!succeeded(r)) problems.push(`stdin ${JSON.stringify(stdin)}: ${errText(r)}`);
        else if (typeof j?.cniVersion !== 'string' || !Array.isArray(j.supportedVersions) || j.supportedVersions.length === 0 || !j.supportedVersions.every((v) => typeof v === 'string')) {
          problems.push(`stdin ${JSON.stringify(stdin)}: answer ${JSON.stringify(r.outcome.stdout.slice(0, 200))} lacks cniVersion or a non-empty supportedVersions`);
        }
      }
    });
    return problems.length === 0 ? ok(`supportedVersions ${JSON.stringify(s.versions)}`) : bad(problems.join('; '));
  },

  async C06(s) {
    const unsupported = [...KNOWN_CNI_VERSIONS.filter((v) => !s.versions.includes(v)), '9.9.9'];
    const problems: string[] = [];
    await withHost(s, async (h) => {
      for (const v of unsupported) {
        for (const verb of ['ADD', 'DEL'] as const) {
          const a = await s.attach(h);
          const r = verb === 'ADD' ? await s.add(h, a, v) : await s.verb(h, 'DEL', a, v);
          if (succeeded(r)) {
            problems.push(`${verb} at ${v} succeeded`);
            if (verb === 'ADD') await s.verb(h, 'DEL', a, v, r.json);
          } else if (!isErrorObject(r.json) || r.json.code !== 1) problems.push(`${verb} at ${v}: ${errText(r)}, expected code 1`);
        }
      }
    });
    return problems.length === 0 ? ok(`refused ${unsupported.join(', ')} with code 1`) : bad(problems.join('; '));
  },

  async C07(s) {
    const problems: string[] = [];
    const skipped: string[] = [];
    await withHost(s, async (h) => {
      for (const v of s.versions.filter(isKnownVersion)) {
        if (s.chained && resultFamily(v) === 'legacy') {
          skipped.push(v);
          continue;
        }
        const a = await s.attach(h);
        const { run, result } = await s.added(h, a, v);
        if (result === undefined) problems.push(`ADD at ${v}: ${errText(run)}`);
        else for (const p of schemaProblems(result, v, s.ipamPlugin)) problems.push(`${v}: ${p}`);
        await s.verb(h, 'DEL', a, v, result);
      }
    });
    const note = skipped.length > 0 ? ` (chained: ${skipped.join(', ')} not tried, chaining starts at 0.3.0)` : '';
    return problems.length === 0 ? ok(`schema of every listed version${note}`) : bad(problems.join('; '));
  },

  async C08(s) {
    if (!s.versions.includes('0.1.0')) return skip('the plugin does not list 0.1.0');
    if (s.chained) return skip('chained plugins start at 0.3.0');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const r = await s.call(h, s.env('ADD', a), s.confText(h, null, a.netns));
      await s.verb(h, 'DEL', a, '0.1.0');
      if (!succeeded(r)) return bad(`ADD without cniVersion: ${errText(r)}`);
      const p = schemaProblems(r.json, '0.1.0', s.ipamPlugin);
      return p.length === 0 ? ok('legacy 0.1.0 result') : bad(p.join('; '));
    });
  },

  async C09(s) {
    const cases: Array<['ADD' | 'CHECK' | 'DEL', 'containerId' | 'netns' | 'ifname', string]> = [
      ['ADD', 'containerId', 'CNI_CONTAINERID'], ['ADD', 'netns', 'CNI_NETNS'], ['ADD', 'ifname', 'CNI_IFNAME'],
      ['CHECK', 'containerId', 'CNI_CONTAINERID'], ['CHECK', 'netns', 'CNI_NETNS'], ['CHECK', 'ifname', 'CNI_IFNAME'],
      ['DEL', 'containerId', 'CNI_CONTAINERID'], ['DEL', 'ifname', 'CNI_IFNAME'],
    ];
    const problems: string[] = [];
    await withHost(s, async (h) => {
      for (const [verb, key, name] of cases) {
        if (verb === 'CHECK' && compareVersions(s.working!, '0.4.0') < 0) continue;
        const a = await s.attach(h);
        const env = s.env(verb, a);
        env[key] = undefined;
        const r = await s.call(h, env, s.confText(h, s.working!, a.netns));
        if (succeeded(r)) {
          problems.push(`${verb} without ${name} succeeded`);
          if (verb === 'ADD') await s.verb(h, 'DEL', a, s.working, r.json);
        } else if (!isErrorObject(r.json) || r.json.code !== 4 || !`${r.json.msg} ${r.json.details ?? ''}`.includes(name)) {
          problems.push(`${verb} without ${name}: ${errText(r)}, expected code 4 naming ${name}`);
        }
      }
    });
    return problems.length === 0 ? ok('code 4 naming the variable in every case') : bad(problems.join('; '));
  },

  async C10(s) {
    return withHost(s, async (h) => {
      const problems: string[] = [];
      for (const netns of [undefined, '']) {
        const a = await s.attach(h);
        const { result } = await s.added(h, a);
        const r = await s.verb(h, 'DEL', { cid: a.cid, ifname: a.ifname, netns }, s.working, result);
        if (!succeeded(r)) problems.push(`DEL with CNI_NETNS ${netns === undefined ? 'unset' : 'empty'}: ${errText(r)}`);
        await s.verb(h, 'DEL', a, s.working, result);
      }
      return problems.length === 0 ? ok('DEL with CNI_NETNS unset and empty: exit 0') : bad(problems.join('; '));
    });
  },

  async C11(s) {
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const r = await s.call(h, s.env('BOGUS', a), s.confText(h, s.working!, a.netns));
      return succeeded(r) ? bad('CNI_COMMAND=BOGUS exited 0') : ok(errText(r));
    });
  },

  async C12(s) {
    return withHost(s, async (h) => {
      const notes: string[] = [];
      for (const verb of ['ADD', 'CHECK', 'DEL']) {
        const a = await s.attach(h);
        const r = await s.call(h, s.env(verb, a), '{"cniVersion": "1.0.0", "name": "broken", ');
        if (succeeded(r)) return bad(`${verb} with truncated JSON exited 0`);
        notes.push(`${verb}: ${errText(r)}`);
      }
      return ok(notes.join('; '));
    });
  },

  async C13(s) {
    const cases: Array<[string, string]> = [['ifname', 'eth0123456789abc'], ['ifname', '.'], ['ifname', 'a/b'], ['ifname', 'eth 0'], ['containerId', 'bad cid!']];
    const accepted: string[] = [];
    await withHost(s, async (h) => {
      for (const [key, value] of cases) {
        const a = await s.attach(h);
        const env = s.env('ADD', a);
        if (key === 'ifname') env.ifname = value;
        else env.containerId = value;
        const r = await s.call(h, env, s.confText(h, s.working!, a.netns));
        if (succeeded(r)) {
          accepted.push(`${key} ${JSON.stringify(value)}`);
          const d = s.env('DEL', a);
          if (key === 'ifname') d.ifname = value;
          else d.containerId = value;
          await s.call(h, d, s.confText(h, s.working!, a.netns));
        }
      }
    });
    return accepted.length === 0 ? ok('all refused') : bad(`accepted ${accepted.join(', ')}`);
  },

  async C14(s) {
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const r = await s.call(h, s.env(undefined, a), s.confText(h, s.working!, a.netns));
      if (!succeeded(r)) return bad(`exit ${r.outcome.exitCode}`);
      return r.outcome.stderr.trim() === '' ? bad('exit 0 but no about text on stderr') : ok(JSON.stringify(r.outcome.stderr.split('\n')[0]));
    });
  },

  async C15(s) {
    if (s.probe?.result === undefined) return bad(`ADD at ${s.working}: ${s.probe?.error ?? 'not run'}`);
    if (s.chained) return skip('chained plugin: its interfaces come from prevResult');
    if (s.ipamPlugin) return skip('IPAM plugin: configures no interface');
    const names = s.probe.sandboxIfnames;
    if (names.includes('eth0')) return ok('eth0 in the sandbox, listed with sandbox = CNI_NETNS');
    return ok(`the plugin configures ${names.join(', ')} (it does not create CNI_IFNAME by design), present and listed with sandbox = CNI_NETNS`);
  },

  async C16(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { run, result } = await s.added(h, a);
      const problems: string[] = [];
      if (result === undefined) return bad(`ADD: ${errText(run)}`);
      const r = readResult(result, s.working);
      for (const ip of r.ips ?? []) {
        if (!CIDR_RE.test(ip.address)) {
          problems.push(`address ${JSON.stringify(ip.address)} is not in address/prefix form`);
          continue;
        }
        if (s.chained || s.ipamPlugin) continue;
        const itf = ip.interface !== undefined ? r.interfaces?.[ip.interface] : undefined;
        if (itf === undefined) {
          problems.push(`address ${ip.address} names no interface`);
          continue;
        }
        const inNs = await h.interfaces(itf.sandbox !== undefined && itf.sandbox !== '' ? a.netns : null);
        const got = inNs.find((i) => i.name === itf.name);
        if (got === undefined) problems.push(`interface ${itf.name} of ${ip.address} does not exist`);
        else if (!got.addrs.includes(ip.address)) problems.push(`${ip.address} is not on ${itf.name} (it has ${got.addrs.join(', ') || 'none'})`);
      }
      await s.verb(h, 'DEL', a, s.working, result);
      return problems.length === 0 ? ok(`${(r.ips ?? []).map((i) => i.address).join(', ') || 'no addresses'}`) : bad(problems.join('; '));
    });
  },

  async C17(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    if (s.chained || s.ipamPlugin) return skip('creates no interfaces');
    const listed = ((s.probe!.result!.interfaces as Json[] | undefined) ?? []).filter((i) => i.sandbox === undefined || i.sandbox === '').map((i) => String(i.name));
    const created = s.probe!.hostIfnames;
    const missing = created.filter((n) => !listed.includes(n));
    const absent = listed.filter((n) => !created.includes(n) && n !== '');
    if (missing.length > 0) return bad(`host interfaces created but not listed without sandbox: ${missing.join(', ')}`);
    return ok(`host side: ${listed.join(', ') || 'none'}${absent.length > 0 ? ` (listed, already present: ${absent.join(', ')})` : ''}`);
  },

  async C18(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    if (!s.createsIfname || !s.probe!.sandboxIfnames.includes('eth0')) return skip('the plugin does not create CNI_IFNAME');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      const before = (await h.interfaces(a.netns)).find((i) => i.name === a.ifname);
      const problems: string[] = [];
      const again = await s.add(h, a);
      if (succeeded(again)) problems.push('a second ADD of the same attachment succeeded');
      const other = { ...a, cid: s.cid() };
      const r2 = await s.add(h, other);
      if (succeeded(r2)) problems.push('ADD of another container with the same ifname into the same netns succeeded');
      const after = (await h.interfaces(a.netns)).find((i) => i.name === a.ifname);
      if (JSON.stringify(before?.addrs) !== JSON.stringify(after?.addrs)) problems.push(`the existing ${a.ifname} changed: ${before?.addrs.join(',')} → ${after?.addrs.join(',') ?? 'gone'}`);
      await s.verb(h, 'DEL', other, s.working, r2.json);
      await s.verb(h, 'DEL', a, s.working, result);
      return problems.length === 0 ? ok(`refused: ${errText(again)}`) : bad(problems.join('; '));
    });
  },

  async C19(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    if (s.chained || s.ipamPlugin) return skip('the plugin does not enter the netns');
    return withHost(s, async (h) => {
      const a = { cid: s.cid(), netns: h.missingSandbox(), ifname: 'eth0' };
      const r = await s.add(h, a);
      await s.verb(h, 'DEL', a, s.working);
      if (succeeded(r)) return bad('ADD into a missing netns succeeded');
      return isErrorObject(r.json) ? ok(errText(r)) : bad(`no error object: ${errText(r)}`);
    });
  },

  async C20(s) {
    if (!s.hasIpam) return skip('the configuration has no ipam');
    if (!canShrink(s)) return skip('cannot shrink this IPAM type\'s pool');
    return withHost(s, async (h) => {
      const first = await s.attach(h);
      const r1 = await s.added(h, first, s.working, shrinkIpam);
      if (r1.result === undefined) return bad(`first ADD on a one-address pool failed: ${errText(r1.run)}`);
      const second = await s.attach(h);
      const before = await h.snapshot();
      const ifsBefore = await h.interfaces(second.netns);
      const r2 = await s.add(h, second, s.working, shrinkIpam);
      const after = await h.snapshot();
      const ifsAfter = await h.interfaces(second.netns);
      await s.verb(h, 'DEL', second, s.working, r2.json, shrinkIpam);
      await s.verb(h, 'DEL', first, s.working, r1.result, shrinkIpam);
      if (succeeded(r2)) return skip('the second ADD did not fail (see C40)');
      const leaks = diffLines(before, after);
      const sandboxLeaks = ifsAfter.filter((i) => !ifsBefore.some((b) => b.name === i.name)).map((i) => `${i.name} in the sandbox`);
      const all = [...leaks, ...sandboxLeaks];
      return all.length === 0 ? ok(`exhaustion (${errText(r2)}) left nothing behind`) : bad(`after ${errText(r2)}: left ${all.join('; ')}`);
    });
  },

  async C21(s) {
    if (!s.chained) return skip('the configuration has no prevResult (not chained)');
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { run, result } = await s.added(h, a);
      const sent = JSON.parse(s.confText(h, s.working!, a.netns)).prevResult as Json;
      await s.verb(h, 'DEL', a, s.working, result);
      if (result === undefined) return bad(`ADD: ${errText(run)}`);
      const lost = addressesOf(sent).filter((x) => !addressesOf(result).includes(x));
      if (lost.length > 0) return bad(`prevResult addresses dropped: ${lost.join(', ')}`);
      return ok(JSON.stringify(sortDeep(result)) === JSON.stringify(sortDeep(sent)) ? 'prevResult passed through unchanged' : 'prevResult extended');
    });
  },

  async C22(s) {
    return withHost(s, async (h) => {
      const problems: string[] = [];
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      for (const n of [1, 2]) {
        const r = await s.verb(h, 'DEL', a, s.working, result);
        if (!succeeded(r)) problems.push(`DEL #${n}: ${errText(r)}`);
      }
      const never = await s.attach(h);
      const r3 = await s.verb(h, 'DEL', never);
      if (!succeeded(r3)) problems.push(`DEL of a never-added attachment: ${errText(r3)}`);
      const g = await s.attach(h);
      const gr = await s.added(h, g);
      await h.deleteSandbox(g.netns);
      const r4 = await s.verb(h, 'DEL', g, s.working, gr.result);
      if (!succeeded(r4)) problems.push(`DEL with the netns gone: ${errText(r4)}`);
      return problems.length === 0 ? ok('repeated, never-added and netns-gone DELs exit 0') : bad(problems.join('; '));
    });
  },

  async C23(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    return withHost(s, async (h) => {
      // A first attachment creates what plugins share and keep (a bridge, shared chains).
      const warm = await s.attach(h);
      const w = await s.added(h, warm);
      const before = await h.snapshot();
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      await h.deleteSandbox(a.netns);
      await s.verb(h, 'DEL', a, s.working, result);
      const after = await h.snapshot();
      await s.verb(h, 'DEL', warm, s.working, w.result);
      const leaks = diffLines(before, after);
      return leaks.length === 0 ? ok('nothing left after DEL with the netns gone') : bad(`left behind: ${leaks.join('; ')}`);
    });
  },

  async C24(s) {
    if (!s.hasIpam) return skip('the configuration has no ipam');
    if (!canShrink(s)) return skip('cannot shrink this IPAM type\'s pool');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const r1 = await s.added(h, a, s.working, shrinkIpam);
      if (r1.result === undefined) return bad(`ADD on a one-address pool: ${errText(r1.run)}`);
      await s.verb(h, 'DEL', a, s.working, r1.result, shrinkIpam);
      const b = await s.attach(h);
      const r2 = await s.added(h, b, s.working, shrinkIpam);
      await s.verb(h, 'DEL', b, s.working, r2.result, shrinkIpam);
      return r2.result !== undefined ? ok('the only address was reusable after DEL') : bad(`after DEL, ADD still finds the pool exhausted: ${errText(r2.run)}`);
    });
  },

  async C25(s) {
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      const r = await s.verb(h, 'DEL', a, s.working, undefined, (c) => delete c.prevResult);
      await s.verb(h, 'DEL', a, s.working, result);
      return succeeded(r) ? ok('DEL without prevResult: exit 0') : bad(errText(r));
    });
  },

  async C26() {
    return skip('reference-plugin behaviour; not demanded from other plugins');
  },

  async C27(s) {
    const old = s.versions.filter((v) => isKnownVersion(v) && compareVersions(v, '0.4.0') < 0 && (!s.chained || resultFamily(v) !== 'legacy'));
    if (old.length === 0) return skip('the plugin lists no version below 0.4.0');
    const v = old[old.length - 1]!;
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a, v);
      const r = await s.call(h, s.env('CHECK', a), s.confText(h, v, a.netns, (c) => { if (result !== undefined) c.prevResult = result; }));
      await s.verb(h, 'DEL', a, v);
      return succeeded(r) ? bad(`CHECK at ${v} succeeded`) : ok(`CHECK at ${v}: ${errText(r)}`);
    });
  },

  async C28(s) {
    if (compareVersions(s.working ?? '0.0.0', '0.4.0') < 0) return skip('CHECK needs 0.4.0');
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    if (s.ipamPlugin) return skip('IPAM plugins check their own store');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      const r = await s.verb(h, 'CHECK', a, s.working, undefined, (c) => delete c.prevResult);
      await s.verb(h, 'DEL', a, s.working, result);
      if (succeeded(r)) return ok('CHECK without prevResult succeeded (nothing in the result to verify)');
      return isErrorObject(r.json) ? ok(errText(r)) : bad(`no error object: ${errText(r)}`);
    });
  },

  async C29(s) {
    if (compareVersions(s.working ?? '0.0.0', '0.4.0') < 0) return skip('CHECK needs 0.4.0');
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      const r = await s.verb(h, 'CHECK', a, s.working, result);
      await s.verb(h, 'DEL', a, s.working, result);
      return succeeded(r) ? ok('CHECK after ADD: exit 0') : bad(errText(r));
    });
  },

  async C30(s) {
    if (compareVersions(s.working ?? '0.0.0', '0.4.0') < 0) return skip('CHECK needs 0.4.0');
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    if (!s.createsIfname) return skip('the plugin configures no sandbox interface');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      const ifname = s.probe!.sandboxIfnames.includes(a.ifname) ? a.ifname : s.probe!.sandboxIfnames[0]!;
      if (!(await h.tamper(a.netns, ifname))) return skip('the target cannot alter interfaces');
      const r = await s.verb(h, 'CHECK', a, s.working, result);
      await s.verb(h, 'DEL', a, s.working, result);
      return succeeded(r) ? bad(`CHECK passed with ${ifname} down and its addresses flushed`) : ok(errText(r));
    });
  },

  async C31(s) {
    if (compareVersions(s.working ?? '0.0.0', '0.4.0') < 0) return skip('CHECK needs 0.4.0');
    if (!s.hasIpam) return skip('the configuration has no ipam');
    const ipam = s.conf.ipam as Json;
    if (typeof ipam.dataDir !== 'string' || !ipam.dataDir.includes('@STATE@')) return skip('the IPAM store is not in a known place');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const { result } = await s.added(h, a);
      if (result === undefined) return skip('ADD failed (see C15)');
      const dir = join(String(ipam.dataDir).replaceAll('@STATE@', h.stateDir), String(s.conf.name));
      const { rmSync, existsSync } = await import('node:fs');
      const files = addressesOf(result).map((x) => join(dir, x.split('/')[0]!)).filter((f) => existsSync(f));
      if (files.length === 0) return skip('no per-address reservation files in the IPAM store');
      for (const f of files) rmSync(f);
      const r = await s.verb(h, 'CHECK', a, s.working, result);
      await s.verb(h, 'DEL', a, s.working, result);
      return succeeded(r) ? bad('CHECK passed with the IPAM reservation deleted') : ok(errText(r));
    });
  },

  async C32() {
    return skip('not observable from outside without a delegate double');
  },

  async C33(s) {
    return s.versions.includes('1.1.0') ? ok('1.1.0 listed') : bad(`supportedVersions ${JSON.stringify(s.versions)} lacks 1.1.0: every call of a 1.1.0 list fails`);
  },

  async C34(s) {
    if (!s.versions.includes('1.1.0')) return skip('the plugin does not list 1.1.0');
    return withHost(s, async (h) => {
      const r = await s.call(h, { command: 'GC', path: s.opts.cniPath.join(':') }, s.confText(h, '1.1.0', undefined, (c) => {
        c['cni.dev/valid-attachments'] = [];
        c['cni.dev/attachments'] = [];
      }));
      if (!succeeded(r)) return bad(errText(r));
      return r.outcome.stdout.trim() === '' ? ok('GC: exit 0, no output') : bad(`GC printed ${JSON.stringify(r.outcome.stdout.slice(0, 200))}`);
    });
  },

  async C35(s) {
    if (!s.versions.includes('1.1.0')) return skip('the plugin does not list 1.1.0');
    if (!s.hasIpam) return skip('the configuration has no ipam');
    if (!canShrink(s)) return skip('cannot shrink this IPAM type\'s pool');
    return withHost(s, async (h) => {
      const gc = (valid: Attachment[]) => s.call(h, { command: 'GC', path: s.opts.cniPath.join(':') }, s.confText(h, '1.1.0', undefined, (c) => {
        shrinkIpam(c);
        const list = valid.map((v) => ({ containerID: v.cid, ifname: v.ifname }));
        c['cni.dev/valid-attachments'] = list;
        c['cni.dev/attachments'] = list;
      }));
      const a = await s.attach(h);
      const r1 = await s.added(h, a, '1.1.0', shrinkIpam);
      if (r1.result === undefined) return skip(`ADD at 1.1.0 failed: ${errText(r1.run)}`);
      const keep = await gc([a]);
      const b = await s.attach(h);
      const kept = await s.added(h, b, '1.1.0', shrinkIpam);
      const problems: string[] = [];
      if (!succeeded(keep)) problems.push(`GC keeping the attachment: ${errText(keep)}`);
      if (kept.result !== undefined) problems.push('GC released an attachment listed as valid');
      const drop = await gc([]);
      if (!succeeded(drop)) problems.push(`GC with no valid attachments: ${errText(drop)}`);
      const c = await s.attach(h);
      const after = await s.added(h, c, '1.1.0', shrinkIpam);
      if (after.result === undefined) problems.push(`GC did not release a stale attachment: ${errText(after.run)}`);
      for (const [x, res] of [[a, r1.result], [b, kept.result], [c, after.result]] as const) await s.verb(h, 'DEL', x, '1.1.0', res, shrinkIpam);
      return problems.length === 0 ? ok('stale reservation released, valid one kept') : bad(problems.join('; '));
    });
  },

  async C36() {
    return skip('not observable from outside without a delegate double');
  },

  async C37(s) {
    if (!s.versions.includes('1.1.0')) return skip('the plugin does not list 1.1.0');
    return withHost(s, async (h) => {
      const r = await s.call(h, { command: 'STATUS', path: s.opts.cniPath.join(':') }, s.confText(h, '1.1.0', undefined));
      return succeeded(r) ? ok('STATUS: exit 0') : bad(errText(r));
    });
  },

  async C38(s) {
    const below = s.versions.filter((v) => isKnownVersion(v) && compareVersions(v, '1.1.0') < 0);
    if (below.length === 0) return skip('the plugin lists no version below 1.1.0');
    const v = below[below.length - 1]!;
    return withHost(s, async (h) => {
      const accepted: string[] = [];
      for (const verb of ['GC', 'STATUS']) {
        const r = await s.call(h, { command: verb, path: s.opts.cniPath.join(':') }, s.confText(h, v, undefined));
        if (succeeded(r)) accepted.push(verb);
      }
      return accepted.length === 0 ? ok(`GC and STATUS at ${v} refused`) : bad(`${accepted.join(' and ')} at ${v} accepted`);
    });
  },

  async C39(s) {
    if (!s.hasIpam) return skip('the configuration has no ipam');
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    return withHost(s, async (h) => {
      const warm = await s.attach(h);
      const w = await s.added(h, warm);
      const atts = await Promise.all(Array.from({ length: 16 }, () => s.attach(h)));
      const runs = await Promise.all(atts.map((a) => s.added(h, a)));
      const problems: string[] = [];
      const addrs = runs.flatMap((r) => addressesOf(r.result));
      runs.forEach((r, i) => { if (r.result === undefined) problems.push(`ADD ${atts[i]!.cid}: ${errText(r.run)}`); });
      const dup = addrs.filter((x, i) => addrs.indexOf(x) !== i);
      if (dup.length > 0) problems.push(`duplicate addresses: ${[...new Set(dup)].join(', ')}`);
      const dels = await Promise.all(atts.map((a, i) => s.verb(h, 'DEL', a, s.working, runs[i]!.result)));
      dels.forEach((r, i) => { if (!succeeded(r)) problems.push(`DEL ${atts[i]!.cid}: ${errText(r)}`); });
      await s.verb(h, 'DEL', warm, s.working, w.result);
      return problems.length === 0 ? ok(`16 parallel ADDs: ${addrs.length} distinct addresses; 16 parallel DELs ok`) : bad(problems.join('; '));
    });
  },

  async C40(s) {
    if (!s.hasIpam) return skip('the configuration has no ipam');
    if (!canShrink(s)) return skip('cannot shrink this IPAM type\'s pool');
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const r1 = await s.added(h, a, s.working, shrinkIpam);
      const b = await s.attach(h);
      const r2 = await s.added(h, b, s.working, shrinkIpam);
      await s.verb(h, 'DEL', b, s.working, r2.result, shrinkIpam);
      await s.verb(h, 'DEL', a, s.working, r1.result, shrinkIpam);
      if (r1.result === undefined) return bad(`ADD on a one-address pool: ${errText(r1.run)}`);
      if (r2.result !== undefined) {
        const shared = addressesOf(r2.result).filter((x) => addressesOf(r1.result).includes(x));
        return bad(shared.length > 0 ? `the same address went to two attachments: ${shared.join(', ')}` : 'a one-address pool served two attachments');
      }
      if (isErrorObject(r2.run.json) && r2.run.json.code === 11) return ok(`exhaustion is an error, but code 11 ("try again") misleads: exhaustion is not transient`);
      return ok(errText(r2.run));
    });
  },

  async C41() {
    return skip('reference-plugin behaviour (host-local); not demanded from other plugins');
  },

  async C42(s) {
    if (!s.hasIpam) return skip('the configuration has no ipam');
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    return withHost(s, async (h) => {
      const a = await s.attach(h);
      const r1 = await s.added(h, a);
      const r2 = await s.add(h, a);
      await s.verb(h, 'DEL', a, s.working, r1.result);
      return succeeded(r2) ? bad(`a second ADD of ${a.cid}/${a.ifname} succeeded`) : ok(errText(r2));
    });
  },

  async C43(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    const r = s.probe!.result!;
    try {
      const back = convertResult(r, s.working!, s.working);
      const a = JSON.stringify(sortDeep(stripEmptyDns(r)));
      const b = JSON.stringify(sortDeep(stripEmptyDns(back)));
      return a === b ? ok(`round trip at ${s.working}`) : bad(`changed by the conversion: ${a} → ${b}`);
    } catch (e) {
      return bad((e as Error).message);
    }
  },

  async C44(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    if (!s.ipamPlugin || s.conf.ipam === undefined || (s.conf.ipam as Json).type !== s.conf.type) return skip('not an IPAM plugin');
    const r = s.probe!.result!;
    const problems: string[] = [];
    if (r.interfaces !== undefined) problems.push('result has interfaces');
    if (Array.isArray(r.ips) && r.ips.some((i) => (i as Json).interface !== undefined)) problems.push('ips[].interface present');
    return problems.length === 0 ? ok('no interfaces, no ips[].interface') : bad(problems.join('; '));
  },

  async C45(s) {
    const skipped = needsAdd(s);
    if (skipped) return skipped;
    const d = s.probe!.result!.dns;
    return d === undefined || (typeof d === 'object' && d !== null && !Array.isArray(d)) ? ok(d === undefined ? 'no dns' : JSON.stringify(d)) : bad(`dns is ${JSON.stringify(d)}`);
  },
};

function stripEmptyDns(r: Json): Json {
  const o = { ...r };
  if (typeof o.dns === 'object' && o.dns !== null && Object.keys(o.dns).length === 0) delete o.dns;
  return o;
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (typeof v === 'object' && v !== null) {
    const out: Json = {};
    for (const k of Object.keys(v).sort()) out[k] = sortDeep((v as Json)[k]);
    return out;
  }
  return v;
}

function diffLines(before: string, after: string): string[] {
  const b = new Set(before.split('\n'));
  const a = new Set(after.split('\n'));
  return [...[...a].filter((l) => !b.has(l) && l !== '--').map((l) => `+ ${l}`), ...[...b].filter((l) => !a.has(l) && l !== '--').map((l) => `- ${l}`)];
}

/** Judges the whole log of runs for C01–C04. */
function logChecks(log: Run[]): Record<string, Verdict> {
  const c01: string[] = [];
  const c02: string[] = [];
  const c03: string[] = [];
  const c04: string[] = [];
  for (const r of log) {
    const o = r.outcome;
    if (o.timedOut || o.signal !== null) c01.push(`${r.verb}: ${o.timedOut ? 'timed out' : `killed by ${o.signal}`}`);
    else if (o.exitCode === 0 && isErrorObject(r.json)) c01.push(`${r.verb}: exit 0 with an error object ${JSON.stringify(r.json)}`);
    else if (o.exitCode !== 0 && typeof r.json === 'object' && r.json !== null && ('ips' in r.json || 'interfaces' in r.json || 'supportedVersions' in r.json)) c01.push(`${r.verb}: exit ${o.exitCode} with a result`);
    if (o.exitCode !== 0 && !o.timedOut && o.signal === null) {
      if (!isErrorObject(r.json) || !Number.isInteger(r.json.code)) c02.push(`${r.verb}: exit ${o.exitCode}, stdout ${JSON.stringify(o.stdout.slice(0, 120))}`);
      else {
        const code = r.json.code;
        const statusCode = (code === 50 || code === 51) && r.verb === 'STATUS';
        if (code < 1 || (code < 100 && !WELL_KNOWN_CODES.has(code) && !statusCode && code !== 8)) c03.push(`${r.verb}: code ${code} (${JSON.stringify(r.json.msg)})`);
      }
    }
    if (o.exitCode === 0 && ['DEL', 'CHECK', 'GC'].includes(r.verb) && o.stdout.trim() !== '') c04.push(`${r.verb}: printed ${JSON.stringify(o.stdout.slice(0, 120))}`);
  }
  const uniq = (x: string[]) => [...new Set(x)].slice(0, 5).join('; ');
  return {
    C01: c01.length === 0 ? ok(`${log.length} runs`) : bad(uniq(c01)),
    C02: c02.length === 0 ? ok(`${log.filter((r) => r.outcome.exitCode !== 0).length} failures, each with an error object`) : bad(uniq(c02)),
    C03: c03.length === 0 ? ok('only well-known or plugin-specific codes') : bad(uniq(c03)),
    C04: c04.length === 0 ? ok('no output on successful DEL, CHECK, GC') : bad(uniq(c04)),
  };
}

/** The probe: VERSION, then one ADD at the working version on a fresh host, looking at what appeared. */
async function probe(s: Session): Promise<void> {
  await withHost(s, async (h) => {
    const v = await s.call(h, { command: 'VERSION' }, '{"cniVersion":"1.1.0"}');
    const sv = (v.json as Json | undefined)?.supportedVersions;
    s.versions = Array.isArray(sv) ? sv.filter((x): x is string => typeof x === 'string') : [];
    const known = s.versions.filter(isKnownVersion).sort(compareVersions);
    s.working = known[known.length - 1];
    if (s.working === undefined) {
      s.probe = { result: undefined, error: 'VERSION lists no known version', sandboxIfnames: [], hostIfnames: [] };
      return;
    }
    const hostBefore = (await h.interfaces(null)).map((i) => i.name);
    const a = await s.attach(h);
    const sbBefore = (await h.interfaces(a.netns)).filter((i) => i.up || i.addrs.length > 0).map((i) => i.name);
    const { run, result } = await s.added(h, a);
    if (result === undefined) {
      s.probe = { result: undefined, error: errText(run), sandboxIfnames: [], hostIfnames: [] };
      await s.verb(h, 'DEL', a);
      return;
    }
    const hostAfter = (await h.interfaces(null)).map((i) => i.name);
    const sbAfter = await h.interfaces(a.netns);
    const listed = ((result.interfaces as Json[] | undefined) ?? []).filter((i) => i.sandbox !== undefined && i.sandbox !== '');
    const problems: string[] = [];
    // A chained plugin passes on interfaces an earlier plugin made; only its own are judged.
    for (const i of s.chained ? [] : listed) {
      if (i.sandbox !== a.netns) problems.push(`${String(i.name)} listed with sandbox ${JSON.stringify(i.sandbox)}, expected ${JSON.stringify(a.netns)}`);
      if (!sbAfter.some((x) => x.name === i.name)) problems.push(`${String(i.name)} is listed but not in the sandbox`);
    }
    const sandboxIfnames = listed.map((i) => String(i.name));
    const appeared = sbAfter.filter((x) => !sbBefore.includes(x.name) && (x.up || x.addrs.length > 0)).map((x) => x.name);
    if (!s.chained && appeared.includes(a.ifname) && !sandboxIfnames.includes(a.ifname)) problems.push(`${a.ifname} was created but is not listed with a sandbox`);
    s.probe = { result, error: problems.length > 0 ? problems.join('; ') : undefined, sandboxIfnames, hostIfnames: hostAfter.filter((n) => !hostBefore.includes(n)) };
    await s.verb(h, 'DEL', a, s.working, result);
  });
}

export async function runConformance(opts: ConformanceOptions): Promise<ConformanceReport> {
  const s = new Session(opts);
  const results = new Map<string, Verdict>();
  await probe(s);
  const probeProblem = s.probe?.result !== undefined ? s.probe.error : undefined;
  for (const info of CHECKLIST) {
    if (['C01', 'C02', 'C03', 'C04'].includes(info.id)) continue;
    if (opts.only !== undefined && !opts.only.includes(info.id)) {
      results.set(info.id, skip('not selected'));
      continue;
    }
    if (s.working === undefined && !['C05', 'C33'].includes(info.id)) {
      results.set(info.id, skip('VERSION lists no known version'));
      continue;
    }
    let v: Verdict;
    try {
      v = await CHECKS[info.id]!(s);
    } catch (e) {
      v = bad(`the check could not run: ${(e as Error).message}`);
    }
    if (info.id === 'C15' && probeProblem !== undefined) v = bad(probeProblem);
    results.set(info.id, v);
  }
  for (const [id, v] of Object.entries(logChecks(s.log))) results.set(id, opts.only !== undefined && !opts.only.includes(id) ? skip('not selected') : v);
  const checks: CheckResult[] = CHECKLIST.map((info) => {
    const v = results.get(info.id)!;
    if ('skip' in v) return { ...info, status: 'skip', detail: v.skip };
    return { ...info, status: v.ok ? 'pass' : info.level === 'MUST' ? 'fail' : 'warn', detail: v.detail };
  });
  const count = (st: CheckStatus) => checks.filter((c) => c.status === st).length;
  return {
    plugin: opts.plugin,
    target: opts.target.kind,
    supportedVersions: s.versions,
    checks,
    summary: { total: checks.length, pass: count('pass'), fail: count('fail'), warn: count('warn'), skip: count('skip') },
  };
}
