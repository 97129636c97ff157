/** The libcni-style runner: exec protocol, configuration lists, result conversion, cache. */
export * from './version.js';
export * from './result.js';
export * from './exec.js';
export * from './conflist.js';
export * from './request.js';
export * from './cache.js';
export * from './runner.js';
