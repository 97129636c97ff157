/** Connection tracking and NAT: the public surface of datapath/conntrack (see README.md). */
export type { Tuple, CtDir, CtInfo, TcpCtState, ConntrackEntry, CtRef } from './types.js';
export { Conntrack, icmpReplyType, type ConntrackOptions, type ConntrackTimeouts } from './conntrack.js';
export { ctOf } from './entry.js';
export { tupleOf, invertTuple, tupleEqual, manipPacket } from './tuple.js';
export {
  parseConntrackList, type ParsedConntrackEntry, type ParsedConntrackList, type ConntrackParseWarning,
} from './parse.js';
export { formatConntrackEntry, formatConntrackList, ctProtoName } from './format.js';
export * from './timeouts.js';
