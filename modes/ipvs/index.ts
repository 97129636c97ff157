export { IpvsProxier, KUBE_IPVS0, type IpvsProxierOptions } from './proxier.js';
export { syncIpvsRules, ipvsBootstrapRules, IPVS_JUMPS } from './rules.js';
export { KUBE_IPSETS, ipsetMembers, ipsetRestoreText, type IpsetMembers } from './sets.js';
export { virtualServers, type WantedVirtualServer } from './virtual.js';
