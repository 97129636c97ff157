/**
 * The numbered checklist the conformance runner applies to a plugin binary (spec/cni.md §13: items
 * C01–C45). MUST items can fail, SHOULD items warn, REF items (reference-plugin behaviour) warn at most.
 */
export type CheckLevel = 'MUST' | 'SHOULD' | 'REF';
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckInfo {
  id: string;
  title: string;
  /** Where the requirement comes from (CNI specification sections). */
  section: string;
  level: CheckLevel;
}

export const CHECKLIST: readonly CheckInfo[] = [
  { id: 'C01', level: 'MUST', section: 'spec §2 Errors', title: 'exit 0 on success, non-zero on failure' },
  { id: 'C02', level: 'MUST', section: 'spec §5 Error', title: 'a failure prints one JSON error object with integer code and string msg on stdout' },
  { id: 'C03', level: 'MUST', section: 'spec §5 Error', title: 'codes 1-99 only with their well-known meaning' },
  { id: 'C04', level: 'MUST', section: 'spec §2 DEL, CHECK, GC', title: 'successful DEL, CHECK and GC print nothing on stdout' },
  { id: 'C05', level: 'MUST', section: 'spec §2 VERSION', title: 'VERSION answers cniVersion and supportedVersions with any or no stdin' },
  { id: 'C06', level: 'MUST', section: 'spec §1 Version considerations', title: 'a cniVersion not in supportedVersions is refused with code 1' },
  { id: 'C07', level: 'MUST', section: 'spec §5 ADD Success', title: 'ADD answers in exactly the requested version\'s schema' },
  { id: 'C08', level: 'MUST', section: 'spec 0.1/0.2 compatibility', title: 'an absent cniVersion means 0.1.0' },
  { id: 'C09', level: 'MUST', section: 'spec §2 Parameters', title: 'a missing required variable is code 4 naming it' },
  { id: 'C10', level: 'MUST', section: 'spec §2 DEL', title: 'DEL does not require CNI_NETNS' },
  { id: 'C11', level: 'MUST', section: 'spec §2', title: 'an unknown CNI_COMMAND is an error' },
  { id: 'C12', level: 'MUST', section: 'spec §5 Error codes 6/7', title: 'malformed JSON on stdin is an error (code 6 recommended)' },
  { id: 'C13', level: 'SHOULD', section: 'spec §2 Parameters', title: 'invalid interface names and container ids are refused' },
  { id: 'C14', level: 'REF', section: 'skel', title: 'without CNI_COMMAND: an about text on stderr, exit 0' },
  { id: 'C15', level: 'MUST', section: 'spec §2 ADD, §5 interfaces', title: 'CNI_IFNAME is created in CNI_NETNS and listed with sandbox = CNI_NETNS' },
  { id: 'C16', level: 'MUST', section: 'spec §5 ips', title: 'every address is listed in address/prefix form and is on its interface' },
  { id: 'C17', level: 'MUST', section: 'spec §5 interfaces', title: 'host-side interfaces it created are listed without sandbox' },
  { id: 'C18', level: 'MUST', section: 'spec §2 ADD', title: 'ADD fails when CNI_IFNAME already exists, leaving it intact' },
  { id: 'C19', level: 'MUST', section: 'spec §2 ADD', title: 'ADD into a missing netns fails cleanly' },
  { id: 'C20', level: 'SHOULD', section: 'spec §4, §3 Lifecycle', title: 'a failed ADD (IPAM exhaustion) leaves nothing behind' },
  { id: 'C21', level: 'MUST', section: 'spec §5 ADD Success', title: 'given prevResult, ADD outputs it' },
  { id: 'C22', level: 'MUST', section: 'spec §2 DEL', title: 'DEL succeeds repeated, never-added, and with the netns gone' },
  { id: 'C23', level: 'SHOULD', section: 'spec §2 DEL', title: 'DEL with the netns gone releases everything' },
  { id: 'C24', level: 'MUST', section: 'spec §2 DEL, §4', title: 'DEL releases IPAM allocations' },
  { id: 'C25', level: 'MUST', section: 'spec §2 DEL', title: 'DEL without prevResult succeeds' },
  { id: 'C26', level: 'REF', section: 'reference plugins', title: 'DEL of one attachment leaves the container\'s others intact' },
  { id: 'C27', level: 'MUST', section: 'spec 0.4.0 CHECK', title: 'CHECK below 0.4.0 is refused' },
  { id: 'C28', level: 'MUST', section: 'spec §2 CHECK', title: 'CHECK without prevResult fails cleanly' },
  { id: 'C29', level: 'MUST', section: 'spec §2 CHECK', title: 'CHECK passes right after ADD' },
  { id: 'C30', level: 'SHOULD', section: 'spec §2 CHECK', title: 'CHECK fails when a listed interface or address is altered' },
  { id: 'C31', level: 'SHOULD', section: 'spec §2 CHECK', title: 'CHECK fails when an untracked resource (IPAM reservation) is missing' },
  { id: 'C32', level: 'SHOULD', section: 'spec §2 CHECK, §4', title: 'CHECK runs the delegates\' CHECK' },
  { id: 'C33', level: 'MUST', section: 'spec §1, §3', title: 'supportedVersions lists 1.1.0 (usable in a 1.1.0 list)' },
  { id: 'C34', level: 'MUST', section: 'spec §2 GC', title: 'GC with only CNI_COMMAND and CNI_PATH succeeds silently' },
  { id: 'C35', level: 'SHOULD', section: 'spec §2 GC', title: 'GC releases attachments not listed as valid, keeps listed ones' },
  { id: 'C36', level: 'MUST', section: 'spec §2 GC, STATUS; §4', title: 'GC and STATUS are forwarded to delegates' },
  { id: 'C37', level: 'MUST', section: 'spec §2 STATUS', title: 'STATUS exits 0 when able to serve ADD' },
  { id: 'C38', level: 'SHOULD', section: 'spec §1 versioning', title: 'GC and STATUS are refused below 1.1.0' },
  { id: 'C39', level: 'MUST', section: 'spec §3 Lifecycle', title: '16 concurrent ADDs get 16 distinct addresses' },
  { id: 'C40', level: 'MUST', section: 'spec §4 IPAM', title: 'an exhausted pool is an error, never a duplicate address' },
  { id: 'C41', level: 'REF', section: 'host-local', title: 'host-local allocation order and store layout' },
  { id: 'C42', level: 'SHOULD', section: 'spec §2 ADD', title: 'a second ADD of the same attachment is refused' },
  { id: 'C43', level: 'MUST', section: 'spec §3 prevResult', title: 'the result survives the runtime\'s version conversion' },
  { id: 'C44', level: 'MUST', section: 'spec §5 Delegated plugins', title: 'IPAM plugins omit interfaces and ips[].interface' },
  { id: 'C45', level: 'SHOULD', section: 'spec §5', title: 'dns is an object when present' },
];

export function checkInfo(id: string): CheckInfo {
  const c = CHECKLIST.find((x) => x.id === id);
  if (c === undefined) throw new Error(`unknown check ${id}`);
  return c;
}
