export { UserspaceProxier, type UserspaceOptions } from './proxier.js';
export { LoadBalancerRR, shuffle, type LbEndpoint } from './loadbalancer.js';
export { ProxySocket, UDP_IDLE_TIMEOUT_MS } from './proxysocket.js';
export { initRules, serviceRules, restoreText, USERSPACE_CHAINS, type PortalSpec, type BindSpec, type UserspaceRule } from './rules.js';
