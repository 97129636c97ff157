/** Captures of real hosts: the reader and its records (spec/capture.md). */
export { readCapture, CAPTURE_FILES, OPTIONAL_CAPTURE_FILES, resolveVethPeers } from './read.js';
export { parseManifest } from './parse/manifest.js';
export { parseLinkJson } from './parse/link.js';
export { parseAddrJson } from './parse/addr.js';
export { parseNeighJson, type ParsedNeighbours } from './parse/neigh.js';
export { parseFdbJson } from './parse/fdb.js';
export { parseSysctlTxt, confKey } from './parse/sysctl.js';
export { readObservedProbes } from './probes.js';
export * from './types.js';
