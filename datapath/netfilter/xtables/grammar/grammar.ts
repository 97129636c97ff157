/**
 * Parses a command line with the nearley grammar (rule.ne), the definition of the syntax. Slow
 * (an Earley parser); the loader uses ../syntax.ts and tests keep the two equal.
 */
import nearley from 'nearley';
import grammar from './rule.generated.cjs';
import type { CommandLine } from '../syntax.js';

/** The parse, or null when the line is not in the language. Ambiguity is a grammar bug. */
export function parseWithGrammar(line: string, lineNo: number): CommandLine | null {
  const parser = new nearley.Parser(nearley.Grammar.fromCompiled(grammar));
  try {
    parser.feed(line);
  } catch {
    return null;
  }
  if (parser.results.length === 0) return null;
  if (parser.results.length > 1) throw new Error(`ambiguous grammar for ${JSON.stringify(line)}: ${parser.results.length} parses`);
  const r = parser.results[0] as CommandLine;
  for (const o of r.options) o.line = lineNo;
  return r;
}
