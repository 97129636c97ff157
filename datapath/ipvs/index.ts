export type { SchedulerName, FwdMethod, ServiceKey, RealServer, VirtualService, IpvsConn, ConnState } from './types.js';
export { SCHEDULERS } from './types.js';
export { IpvsTable, markIpvsProperty, hasIpvsProperty, addrText, keyText, type ServiceOptions, type DestOptions, type IpvsSysctls, type IpvsInResult } from './table.js';
export { saveIpvs, restoreIpvs, parseIpvsadm, compareServices, compareDests, IpvsadmParseError, type IpvsadmCommand } from './format.js';
export { schedule, initSched, hash32, shHashKey, type SchedPacket } from './sched.js';
