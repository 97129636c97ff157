/** Exhaustiveness check for closed unions: the compiler proves this is never reached. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
