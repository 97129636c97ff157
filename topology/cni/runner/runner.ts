/**
 * A libcni-style runtime (containernetworking/cni libcni/api.go): runs the plugins of a network
 * configuration list for one attachment — ADD in order with prevResult chaining, CHECK and DEL with
 * the cached result (DEL in reverse order), GC and STATUS of the whole list.
 */
import type { JsonObject, NetworkConfigList } from './conflist.js';
import { buildRequest } from './request.js';
import { convertResult } from './result.js';
import { versionAtLeast } from './version.js';
import { CniPluginError, CniRuntimeError, findPlugin, invokePlugin, type CniEnv, type ExecOptions } from './exec.js';
import { listCachedAttachments, readCache, removeCache, writeCache, type CachedAttachment } from './cache.js';

/** What identifies one attachment and the per-call runtime inputs (libcni RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifname: string;
  args?: Array<[string, string]>;
  capabilityArgs?: Record<string, unknown>;
}

export interface CniRunnerOptions {
  /** Directories searched for plugin binaries, in order; also sent as CNI_PATH. */
  pluginDirs: string[];
  cacheDir: string;
  exec?: ExecOptions;
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** libcni utils.ValidateContainerID / ValidateInterfaceName, run before ADD touches anything. */
export function validateAttachment(rt: RuntimeConf, network: string): void {
  if (rt.containerId === '') throw new CniPluginError(3, 'missing containerID', undefined);
  if (!ID_RE.test(rt.containerId)) throw new CniPluginError(4, 'invalid characters in containerID', rt.containerId);
  if (!ID_RE.test(network)) throw new CniPluginError(7, 'invalid characters found in network name', network);
  const n = rt.ifname;
  if (n === '') throw new CniPluginError(4, 'interface name is empty', undefined);
  if (Buffer.byteLength(n) > 15) throw new CniPluginError(4, 'interface name is too long', 'interface name should be less than 16 characters');
  if (n === '.' || n === '..') throw new CniPluginError(4, 'interface name is . or ..', undefined);
  if (/[/:\s]/.test(n)) throw new CniPluginError(4, 'interface name contains / or : or whitespace characters', undefined);
}

function describe(plugin: JsonObject): string {
  const name = typeof plugin.name === 'string' ? ` name=${JSON.stringify(plugin.name)}` : '';
  return `type=${JSON.stringify(plugin.type)}${name}`;
}

function wrap(e: unknown, plugin: JsonObject, verb: string): Error {
  const prefix = `plugin ${describe(plugin)} failed (${verb}): `;
  if (e instanceof CniPluginError) return new CniPluginError(e.code, prefix + e.msg, e.details, e.outcome);
  return new CniRuntimeError(prefix + (e as Error).message);
}

/**
 * Mutual exclusion as the spec's lifecycle asks (R08): one operation at a time per container, and GC
 * alone. DEVIATION: within this process only; libcni leaves it to the runtime (containerd) as well.
 */
class AttachmentLocks {
  private perContainer = new Map<string, Promise<void>>();
  private inFlight = new Set<Promise<void>>();
  private gc: Promise<void> | undefined;

  async container<T>(id: string, fn: () => Promise<T>): Promise<T> {
    while (this.gc !== undefined) await this.gc;
    const prev = this.perContainer.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    this.perContainer.set(id, chained);
    this.inFlight.add(mine);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      this.inFlight.delete(mine);
      if (this.perContainer.get(id) === chained) this.perContainer.delete(id);
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gc !== undefined) await this.gc;
    let release!: () => void;
    this.gc = new Promise<void>((r) => (release = r));
    try {
      await Promise.all([...this.inFlight]);
      return await fn();
    } finally {
      this.gc = undefined;
      release();
    }
  }
}

export class CniRunner {
  private readonly locks = new AttachmentLocks();
  constructor(readonly opts: CniRunnerOptions) {}

  private env(verb: string, rt: RuntimeConf | undefined): CniEnv {
    const args = rt?.args !== undefined && rt.args.length > 0 ? rt.args.map(([k, v]) => `${k}=${v}`).join(';') : undefined;
    return {
      command: verb,
      containerId: rt?.containerId,
      netns: rt?.netns,
      ifname: rt?.ifname,
      args,
      path: this.opts.pluginDirs.join(':'),
    };
  }

  private async run(plugin: JsonObject, list: NetworkConfigList, verb: string, rt: RuntimeConf | undefined, extras: Parameters<typeof buildRequest>[3]): Promise<unknown> {
    const file = findPlugin(String(plugin.type), this.opts.pluginDirs);
    const req = buildRequest(plugin, list.name, list.cniVersion, extras);
    return invokePlugin(file, this.env(verb, rt), JSON.stringify(req), this.opts.exec);
  }

  /** The cached result of an attachment in the list's version, or undefined (absent or corrupt: deleted). */
  cachedResult(list: NetworkConfigList, rt: RuntimeConf): unknown {
    const c = readCache(this.opts.cacheDir, list.name, rt.containerId, rt.ifname);
    if (c === 'corrupt') {
      removeCache(this.opts.cacheDir, list.name, rt.containerId, rt.ifname);
      return undefined;
    }
    if (c?.result === undefined) return undefined;
    try {
      return convertResult(c.result, list.cniVersion, list.cniVersion);
    } catch {
      return undefined;
    }
  }

  /** ADD: plugins in order, each given the previous one's result; the final result is cached. */
  addNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<JsonObject> {
    return this.locks.container(rt.containerId, async () => {
      validateAttachment(rt, list.name);
      let prev: JsonObject | undefined;
      for (const plugin of list.plugins) {
        let out: unknown;
        try {
          out = await this.run(plugin, list, 'ADD', rt, { prevResult: prev, capabilityArgs: rt.capabilityArgs });
          if (out === undefined) throw new CniRuntimeError('plugin printed no result');
          prev = convertResult(out, list.cniVersion, list.cniVersion);
        } catch (e) {
          throw wrap(e, plugin, 'add');
        }
      }
      writeCache(this.opts.cacheDir, {
        kind: 'cniCacheV1',
        containerId: rt.containerId,
        config: list.bytes.toString('base64'),
        ifName: rt.ifname,
        networkName: list.name,
        netns: rt.netns,
        cniArgs: rt.args ?? [],
        capabilityArgs: rt.capabilityArgs ?? {},
        result: prev,
      });
      return prev!;
    });
  }

  /** CHECK: refused below 0.4.0, a no-op with disableCheck, else every plugin with the cached result. */
  checkNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    return this.locks.container(rt.containerId, async () => {
      if (!versionAtLeast(list.cniVersion, '0.4.0')) {
        throw new CniRuntimeError(`configuration version ${JSON.stringify(list.cniVersion)} does not support the CHECK command`);
      }
      if (list.disableCheck) return;
      const prev = this.cachedResult(list, rt);
      if (prev === undefined) throw new CniRuntimeError(`failed to get network ${JSON.stringify(list.name)} cached result: no cached result for ${rt.containerId}/${rt.ifname}`);
      // libcni returns CHECK errors unwrapped.
      for (const plugin of list.plugins) await this.run(plugin, list, 'CHECK', rt, { prevResult: prev, capabilityArgs: rt.capabilityArgs });
    });
  }

  /** DEL: plugins in reverse order with the cached result (≥ 0.4.0); the cache goes only when all succeeded. */
  delNetworkList(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    return this.locks.container(rt.containerId, () => this.del(list, rt));
  }

  private async del(list: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    const prev = versionAtLeast(list.cniVersion, '0.4.0') ? this.cachedResult(list, rt) : undefined;
    for (const plugin of [...list.plugins].reverse()) {
      try {
        await this.run(plugin, list, 'DEL', rt, { prevResult: prev, capabilityArgs: rt.capabilityArgs });
      } catch (e) {
        throw wrap(e, plugin, 'delete');
      }
    }
    removeCache(this.opts.cacheDir, list.name, rt.containerId, rt.ifname);
  }

  /**
   * GC (spec 1.1 §3): DEL every cached attachment of this network that is not valid (with its cached
   * netns/args/capabilities), then GC on every plugin (≥ 1.1.0 only). Continues past errors; throws one
   * error listing them all.
   */
  gcNetworkList(list: NetworkConfigList, valid: ReadonlyArray<{ containerID: string; ifname: string }>): Promise<void> {
    return this.locks.exclusive(async () => {
      if (list.disableGC) return;
      const errors: Error[] = [];
      const keep = new Set(valid.map((v) => `${v.containerID}\u0000${v.ifname}`));
      for (const c of listCachedAttachments(this.opts.cacheDir, list.name)) {
        if (keep.has(`${c.containerId}\u0000${c.ifName}`)) continue;
        try {
          await this.del(list, runtimeConfOf(c));
        } catch (e) {
          errors.push(e as Error);
        }
      }
      if (versionAtLeast(list.cniVersion, '1.1.0')) {
        for (const plugin of list.plugins) {
          try {
            await this.run(plugin, list, 'GC', undefined, { validAttachments: valid });
          } catch (e) {
            errors.push(wrap(e, plugin, 'gc'));
          }
        }
      }
      if (errors.length === 1) throw errors[0]!;
      if (errors.length > 1) throw new CniRuntimeError(errors.map((e) => e.message).join('; '));
    });
  }

  /** STATUS (spec 1.1): every plugin in order, first error wins; below 1.1.0 a success without running anything. */
  async getStatusNetworkList(list: NetworkConfigList): Promise<void> {
    if (!versionAtLeast(list.cniVersion, '1.1.0')) return;
    for (const plugin of list.plugins) {
      try {
        await this.run(plugin, list, 'STATUS', undefined, {});
      } catch (e) {
        throw wrap(e, plugin, 'status');
      }
    }
  }
}

function runtimeConfOf(c: CachedAttachment): RuntimeConf {
  const rt: RuntimeConf = { containerId: c.containerId, netns: c.netns, ifname: c.ifName };
  if (c.cniArgs !== undefined) rt.args = c.cniArgs;
  if (c.capabilityArgs !== undefined) rt.capabilityArgs = c.capabilityArgs;
  return rt;
}
