/**
 * Derived EndpointSlices: what the EndpointSlice controller (pkg/controller/endpointslice, with the
 * reconciler in k8s.io/endpointslice) would publish for a Service with a selector.
 *
 * - Pods: same namespace, labels matching the selector, with an address, and not finished
 *   (ShouldPodBeInEndpoints: restartPolicy Never excludes Succeeded/Failed, OnFailure excludes
 *   Succeeded). Terminating pods are kept, with terminating=true.
 * - Conditions: serving = pod Ready; ready = Ready and not terminating; publishNotReadyAddresses
 *   makes both true. UNVERIFIED against a live controller.
 * - Ports: per Service port, the targetPort resolved on each pod (podutil.FindPort: a number is used
 *   as is; a name must match a container port's name AND protocol, else the pod lacks that port).
 *   Pods with different resolved port sets go into different slices, as the reconciler groups them.
 * - At most 100 endpoints per slice (--max-endpoints-per-slice default).
 * - A selector matching no pod yields one placeholder slice with no ports and no endpoints.
 * - Names: generateName `<service>-` plus 5 characters from the API server's random-name alphabet;
 *   DEVIATION: the characters come from a hash of namespace/name/index, so they are stable.
 * - Order: UNVERIFIED: the controller adds endpoints in its pod cache's order (unspecified); kpath
 *   uses fixture order. kube-proxy sorts endpoints itself, so no datapath result depends on this.
 */

import { createHash } from 'node:crypto';
import type { Endpoint, EndpointPort } from '../k8s/types.js';
import type { ModelEndpointSlice, ModelPod, ModelService, ModelServicePort } from './types.js';

export const MAX_ENDPOINTS_PER_SLICE = 100;
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'; // k8s.io/apimachinery/pkg/util/rand

/** `<base>-xxxxx` with a deterministic suffix, the base truncated as generateName does (63 - 5). */
export function generatedName(base: string, seed: string): string {
  const prefix = `${base}-`.length > 58 ? `${base}-`.slice(0, 58) : `${base}-`;
  const h = createHash('sha256').update(seed).digest();
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[h[i]! % NAME_ALPHABET.length];
  return prefix + s;
}

export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const k of Object.keys(selector)) if (labels[k] !== selector[k]) return false;
  return true;
}

export function shouldPodBeInEndpoints(pod: ModelPod): boolean {
  if (pod.podIP === '') return false;
  // The restart policy is not kept in the model; a finished pod (Succeeded/Failed) has no running
  // containers either way. DEVIATION: OnFailure pods in phase Failed are excluded too.
  return pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}

/** podutil.FindPort: the container port a Service port targets on this pod, or null. */
export function findPort(pod: ModelPod, sp: ModelServicePort): number | null {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  for (const c of pod.containers) {
    for (const p of c.ports) if (p.name === sp.targetPort && p.protocol === sp.protocol) return p.containerPort;
  }
  return null;
}

/** The pods a Service selects, in fixture order (empty when it has no selector). */
export function selectedPods(svc: ModelService, pods: readonly ModelPod[]): ModelPod[] {
  if (svc.selector === null) return [];
  const sel = svc.selector;
  return pods.filter((p) => p.namespace === svc.namespace && selectorMatches(sel, p.labels));
}

/** The slices the controller would publish for `svc`; empty when the Service takes none. */
export function deriveEndpointSlices(svc: ModelService, pods: readonly ModelPod[]): ModelEndpointSlice[] {
  // The controller ignores Services without a selector and ExternalName Services.
  if (svc.selector === null || svc.type === 'ExternalName') return [];
  const labels: Record<string, string> = {
    ...svc.labels,
    'kubernetes.io/service-name': svc.name,
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  };
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.ports) {
      const port = findPort(pod, sp);
      if (port !== null) ports.push({ name: sp.name, protocol: sp.protocol, port, appProtocol: null });
    }
    const key = ports.map((p) => `${p.name}/${p.protocol}/${p.port}`).join(',');
    let g = groups.get(key);
    if (g === undefined) {
      g = { ports, endpoints: [] };
      groups.set(key, g);
    }
    const ready = svc.publishNotReadyAddresses || (pod.ready && !pod.terminating);
    const serving = svc.publishNotReadyAddresses || pod.ready;
    g.endpoints.push({
      addresses: [pod.podIP],
      conditions: { ready, serving, terminating: pod.terminating },
      nodeName: pod.nodeName,
      zone: null,
      targetRef: { kind: 'Pod', namespace: pod.namespace, name: pod.name },
    });
  }
  const out: ModelEndpointSlice[] = [];
  const make = (ports: EndpointPort[], endpoints: Endpoint[]): ModelEndpointSlice => ({
    namespace: svc.namespace,
    name: generatedName(svc.name, `${svc.namespace}/${svc.name}/${out.length}`),
    labels,
    serviceName: svc.name,
    addressType: 'IPv4',
    endpoints,
    ports,
    derived: true,
    source: svc.source,
  });
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
      out.push(make(g.ports, g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE)));
    }
  }
  if (out.length === 0) out.push(make([], [])); // the controller's placeholder slice
  return out;
}
