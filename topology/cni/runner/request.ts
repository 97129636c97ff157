/**
 * Building the request configuration one plugin of a list receives (spec §3 "Deriving execution
 * configuration from plugin configuration"; libcni api.go buildOneConfig + injectRuntimeConfig).
 */
import type { JsonObject } from './conflist.js';

export interface RequestExtras {
  prevResult?: unknown;
  /** Capability arguments the runtime supplies (e.g. portMappings); only declared ones are sent. */
  capabilityArgs?: Record<string, unknown>;
  /** GC only: attachments that are still valid. */
  validAttachments?: ReadonlyArray<{ containerID: string; ifname: string }>;
}

/** Go's encoding/json prints map keys sorted; libcni re-marshals through a generic map, so plugins see that. */
export function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = sortKeysDeep(o[k]);
    return out;
  }
  return v;
}

/** `{cap: value}` for every capability the plugin declares true and the runtime supplied. */
export function runtimeConfigFor(plugin: JsonObject, capabilityArgs: Record<string, unknown> | undefined): Record<string, unknown> {
  const rc: Record<string, unknown> = {};
  const caps = plugin.capabilities;
  if (capabilityArgs === undefined || typeof caps !== 'object' || caps === null) return rc;
  for (const [cap, wanted] of Object.entries(caps as Record<string, unknown>)) {
    if (wanted === true && cap in capabilityArgs) rc[cap] = capabilityArgs[cap];
  }
  return rc;
}

/**
 * The request for one plugin: its object with `name` and `cniVersion` overwritten, `runtimeConfig`
 * when any declared capability was supplied, `prevResult` when given, GC's attachment list.
 * DEVIATION (from spec 1.1, same as libcni): the `capabilities` key is left in, because libcni only
 * adds keys; plugins must tolerate it either way.
 */
export function buildRequest(plugin: JsonObject, name: string, cniVersion: string, extras: RequestExtras = {}): JsonObject {
  const o: JsonObject = { ...plugin, name, cniVersion };
  const rc = runtimeConfigFor(plugin, extras.capabilityArgs);
  if (Object.keys(rc).length > 0) o.runtimeConfig = rc;
  if (extras.prevResult !== undefined) o.prevResult = extras.prevResult;
  else delete o.prevResult;
  if (extras.validAttachments !== undefined) {
    // libcni sends the spec's final key and the name the 1.1.0 text first used, with the same value.
    o['cni.dev/valid-attachments'] = extras.validAttachments;
    o['cni.dev/attachments'] = extras.validAttachments;
  }
  return sortKeysDeep(o) as JsonObject;
}
