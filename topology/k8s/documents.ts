/**
 * From fixture text to typed Kubernetes objects: YAML documents, `kind: List`, dispatch by kind.
 *
 * A fixture is what `kubectl get -o yaml` prints or what one would `kubectl apply`: several
 * `---`-separated documents, or a `v1 List` whose `items` are objects. Empty documents are skipped.
 * Objects of kinds kpath does not model (Deployment, ConfigMap, ...) are warnings, not errors, so a
 * dump of a real cluster loads.
 */

import { LineCounter, parseAllDocuments } from 'yaml';
import { FixtureError, type FixtureWarning } from './errors.js';
import { Field, type YamlSource } from './field.js';
import {
  decodeEndpointSlice,
  decodeNamespace,
  decodeNode,
  decodePod,
  decodeService,
} from './objects.js';
import type { K8sEndpointSlice, K8sNamespace, K8sNode, K8sPod, K8sService } from './types.js';

/** Everything found in fixture text, in the order it appears. */
export interface FixtureObjects {
  nodes: K8sNode[];
  pods: K8sPod[];
  services: K8sService[];
  endpointSlices: K8sEndpointSlice[];
  namespaces: K8sNamespace[];
  /** The kpath.dev Cluster documents, undecoded (topology/model owns their schema). */
  clusters: Field[];
  warnings: FixtureWarning[];
  /** The YAML node each decoded object came from, for errors found when objects are cross-checked. */
  fieldOf: Map<object, Field>;
}

export function emptyFixtureObjects(): FixtureObjects {
  return { nodes: [], pods: [], services: [], endpointSlices: [], namespaces: [], clusters: [], warnings: [], fieldOf: new Map() };
}

export const KPATH_API_VERSION = 'kpath.dev/v1alpha1';

/** Parses one file's text and appends its objects to `into`. Throws FixtureError. */
export function readFixtureText(text: string, file: string, into: FixtureObjects): void {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true, strict: true });
  if (!Array.isArray(docs)) return; // an empty stream
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const p = lineCounter.linePos(err.pos[0]);
      const first = err.message.split('\n')[0] ?? err.message;
      // The yaml package appends " at line L, column C:" to pretty messages; we carry it in the prefix.
      const msg = first.replace(/ at line \d+, column \d+:?$/, '');
      throw new FixtureError(file, p.line, p.col, '', `expected valid YAML, got: ${msg}`);
    }
    const src: YamlSource = { file, lineCounter, doc };
    const root = Field.root(src);
    if (!root.present) continue;
    readObject(root, into, true);
  }
}

function located<T extends object>(into: FixtureObjects, o: T, f: Field): T {
  into.fieldOf.set(o, f);
  return o;
}

function readObject(obj: Field, into: FixtureObjects, topLevel: boolean): void {
  if (!obj.isMap) obj.fail('a Kubernetes object (a mapping with apiVersion and kind)');
  const avF = obj.get('apiVersion');
  const kindF = obj.get('kind');
  if (!avF.present) avF.fail('an apiVersion');
  if (!kindF.present) kindF.fail('a kind');
  const apiVersion = avF.str();
  const kind = kindF.str();
  const w = into.warnings;
  switch (`${apiVersion} ${kind}`) {
    case 'v1 List':
      if (!topLevel) kindF.fail('an object inside a List, not another List');
      obj.checkKeys(['apiVersion', 'kind', 'metadata', 'items'], false, w);
      for (const item of obj.get('items').items()) readObject(item, into, false);
      return;
    case 'v1 Node':
      into.nodes.push(located(into, decodeNode(obj, w), obj));
      return;
    case 'v1 Pod':
      into.pods.push(located(into, decodePod(obj, w), obj));
      return;
    case 'v1 Service':
      into.services.push(located(into, decodeService(obj, w), obj));
      return;
    case 'discovery.k8s.io/v1 EndpointSlice':
      into.endpointSlices.push(located(into, decodeEndpointSlice(obj, w), obj));
      return;
    case 'v1 Namespace':
      into.namespaces.push(located(into, decodeNamespace(obj, w), obj));
      return;
    case `${KPATH_API_VERSION} Cluster`:
      into.clusters.push(obj);
      return;
    default:
      if (apiVersion === KPATH_API_VERSION || kind === 'Cluster') {
        kindF.fail(`kind Cluster with apiVersion ${KPATH_API_VERSION}`, `${JSON.stringify(kind)} of ${JSON.stringify(apiVersion)}`);
      }
      // v1 Endpoints is what kube-proxy read before EndpointSlices; kpath derives or reads slices.
      w.push(kindF.warning(`object ${apiVersion} ${kind} is not modelled by kpath; ignored`));
  }
}
