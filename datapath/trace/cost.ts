/**
 * What the kernel would have done for one packet, counted as the kernel's own work: the rules a
 * linear xtables walk evaluates, set and table look-ups, route look-ups and so on. The emulator may
 * take short cuts (indexes, compiled chains); these counters may not.
 */
export interface Cost {
  rulesEvaluated: number;
  setLookups: number;
  ipvsLookups: number;
  routeLookups: number;
  conntrackLookups: number;
  userKernelCrossings: number;
  encapBytes: number;
  namespaceHops: number;
}

export function zeroCost(): Cost {
  return {
    rulesEvaluated: 0,
    setLookups: 0,
    ipvsLookups: 0,
    routeLookups: 0,
    conntrackLookups: 0,
    userKernelCrossings: 0,
    encapBytes: 0,
    namespaceHops: 0,
  };
}

export function addCost(into: Cost, c: Cost): void {
  into.rulesEvaluated += c.rulesEvaluated;
  into.setLookups += c.setLookups;
  into.ipvsLookups += c.ipvsLookups;
  into.routeLookups += c.routeLookups;
  into.conntrackLookups += c.conntrackLookups;
  into.userKernelCrossings += c.userKernelCrossings;
  into.encapBytes += c.encapBytes;
  into.namespaceHops += c.namespaceHops;
}
