/**
 * An exclusive, crash-safe lock between processes: the lock file is created with O_EXCL and holds
 * the owner's pid. A lock whose owner is no longer alive is stale and is broken, so a plugin killed
 * while holding the lock never blocks the host forever.
 *
 * Breaking a stale lock is itself guarded by a second O_EXCL file (`<lock>.break`), so two waiters
 * that both find the owner dead cannot both remove the lock (one of them would remove the other's
 * fresh lock). A `.break` file whose owner died is removed the same way.
 *
 * DEVIATION: the reference host-local holds an flock(2) on `<dataDir>/<network>/lock`; Node has no
 * flock, so kpath uses this pid lock; the result (one writer at a time, survivable crashes) is the same.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync, constants } from 'node:fs';

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(SLEEP, 0, 0, ms);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  return true;
}

function ownerOf(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8');
    // An empty file: the owner was between create and write; treat as alive for now.
    if (text === '') return null;
    return Number(text);
  } catch {
    return null;
  }
}

function removeIfDead(path: string): void {
  const pid = ownerOf(path);
  if (pid !== null && !alive(pid)) {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
}

export class LockTimeoutError extends Error {
  constructor(readonly path: string, ms: number) {
    super(`could not take the lock ${path} within ${ms} ms`);
    this.name = 'LockTimeoutError';
  }
}

/** Runs fn holding the lock at `path`; waits (polling) up to timeoutMs for it. */
export function withFileLock<T>(path: string, fn: () => T, timeoutMs = 60_000): T {
  let waited = 0;
  let delay = 1;
  while (!tryCreate(path)) {
    const pid = ownerOf(path);
    if (pid !== null && !alive(pid)) {
      const guard = `${path}.break`;
      if (tryCreate(guard)) {
        try {
          // Read again under the guard: someone may have broken and re-taken it meanwhile.
          removeIfDead(path);
        } finally {
          unlinkSync(guard);
        }
        continue;
      }
      removeIfDead(guard);
    }
    if (waited >= timeoutMs) throw new LockTimeoutError(path, timeoutMs);
    sleepMs(delay);
    waited += delay;
    delay = Math.min(delay * 2, 20);
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      /* removed by a breaker that judged us dead: nothing to do */
    }
  }
}
