/** The cluster model: what a fixture says, validated and defaulted. See topology/README.md. */

export { loadClusterModel, loadClusterModelSync, parseClusterModel, parseClusterModelFiles } from './load.js';
export { FixtureError, type FixtureWarning, type SourceLocation } from '../k8s/errors.js';
export type * from './types.js';
export type {
  AddressType,
  Container,
  ContainerPort,
  Endpoint,
  EndpointConditions,
  EndpointPort,
  IngressIPMode,
  LoadBalancerIngress,
  NodeAddress,
  ObjectReference,
  PodPhase,
  Protocol,
  ServiceType,
  SessionAffinity,
  TrafficPolicy,
} from '../k8s/types.js';

// For callers that change a loaded cluster (add a pod, scale a Service) and need the same answers.
export { deriveEndpointSlices, findPort, selectedPods, selectorMatches } from './endpointslices.js';
export { HostLocalRange, NodeCidrAllocator, serviceIPAllocator, NODE_PORT_MIN, NODE_PORT_MAX } from './ipam.js';
