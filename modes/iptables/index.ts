export { IptablesProxier } from './proxier.js';
export { syncIptablesRules, isServiceChainName, masqueradeMark, probability, type SyncOptions } from './sync.js';
export { bootstrapRules, jumpRules, kubeletRules, type JumpRule } from './bootstrap.js';
