/**
 * IpsetError: ipset's own message (lib/errcode.c and the kernel's IPSET_ERR_* codes as the tool
 * words them), plus where it came from when the input was text (`FILE:LINE:COL: message`).
 */
import type { AdtError } from './set.js';
import { assertNever } from '../util/assert.js';

export interface TextLocation {
  file: string;
  line: number;
  col: number;
}

export class IpsetError extends Error {
  /** The message without location, exactly as `ipset` prints it after "ipset v7.17: ". */
  readonly reason: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly col: number | undefined;

  constructor(reason: string, at?: TextLocation) {
    super(at ? `${at.file}:${at.line}:${at.col}: ${reason}` : reason);
    this.name = 'IpsetError';
    this.reason = reason;
    this.file = at?.file;
    this.line = at?.line;
    this.col = at?.col;
  }
}

export const MSG = {
  noSet: 'The set with the given name does not exist',
  setExists: 'Set cannot be created: set with the same name already exists',
  swapType: 'The sets cannot be swapped: their type does not match',
  renameExists: 'Set cannot be renamed: a set with the new name already exists',
  inUse: 'Set cannot be destroyed: it is in use by a kernel component',
  listMemberMissing: 'Set to be added/deleted/tested as element does not exist.',
  listOfList: 'Sets with list:set type cannot be added to the set.',
  refMissing: "The set to which you referred with 'before' or 'after' does not exist.",
} as const;

export function adtMessage(e: AdtError): string {
  switch (e) {
    case 'exists': return "Element cannot be added to the set: it's already added";
    case 'not-added': return "Element cannot be deleted from the set: it's not added";
    case 'hash-full': return 'Hash is full, cannot add more elements';
    case 'out-of-range': return 'Element is out of the range of the set';
    case 'no-timeout': return 'Timeout cannot be used: set was created without timeout support';
    case 'no-counters': return 'Packet/byte counters cannot be used: set was created without counter support';
    case 'no-comment': return 'Comment cannot be used: set was created without comment support';
    case 'no-skbinfo': return 'Skbinfo mapping cannot be used: set was created without skbinfo support';
    case 'nomatch-unsupported': return 'Unknown argument: `nomatch\'';
    default: return assertNever(e, 'add/del error');
  }
}
