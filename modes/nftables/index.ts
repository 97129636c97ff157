export { NftablesProxier } from './proxier.js';
export { syncNftablesRules, fixedObjects, serviceLines, allServiceLines, TABLE, type NftSyncOptions, type ServiceLines, type Line } from './sync.js';
