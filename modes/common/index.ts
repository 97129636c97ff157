export * from './model.js';
export * from './hash.js';
export * from './convert.js';
export * from './change.js';
export * from './cleanup.js';
