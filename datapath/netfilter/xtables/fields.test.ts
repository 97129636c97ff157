import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { asciiFields } from './ruleset.js';

describe('asciiFields (chain declarations without the regex)', () => {
  it('equals trim + split on spaces and tabs whenever it answers, and answers for printable ASCII', () => {
    const ch = fc.constantFrom(' ', '\t', 'a', 'Z', '-', '[', ']', ':', '0', '\v', '\f', '\u00a0', '\r', 'é');
    fc.assert(fc.property(fc.array(ch, { maxLength: 30 }).map((a) => a.join('')), fc.nat(3), (body, pre) => {
      const line = ':'.repeat(pre) + body;
      const fast = asciiFields(line, pre);
      const slow = line.slice(pre).trim().split(/[ \t]+/);
      if (fast !== null) expect(fast).toEqual(slow);
      if (/^[\x20-\x7e\t]*$/.test(body)) expect(fast).not.toBeNull();
    }), { numRuns: 2000 });
  });
});
