/** Output helpers: data on stdout, messages on stderr, colour only on a TTY and never with NO_COLOR. */
import pc from 'picocolors';

export interface Out {
  write(s: string): void;
  err(s: string): void;
  color: boolean;
}

export function stdOut(): Out {
  const color = process.stdout.isTTY === true && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  return {
    write: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    color,
  };
}

export function paint(out: Out) {
  const c = pc.createColors(out.color);
  return c;
}
