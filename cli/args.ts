/** Argument parsing on util.parseArgs with errors that say what was expected. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(argv: string[], options: T, command: string) {
  try {
    return parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`kpath ${command}: ${(e as Error).message.replace(/\. To specify.*$/s, '')} (see kpath ${command} --help)`);
  }
}

export function intOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value);
  const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} ${s}: expected an integer from ${min} to ${max}`);
  return n;
}
