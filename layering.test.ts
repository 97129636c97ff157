/**
 * The layering of DESIGN.md, enforced: dependency-cruiser checks every import against the arrows
 * datapath <- modes <- topology <- cli, bench (.dependency-cruiser.cjs).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('imports follow the architecture arrows', () => {
  const bin = join(import.meta.dirname, 'node_modules', '.bin', 'depcruise');
  let out = '';
  let code = 0;
  try {
    out = execFileSync(bin, ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'datapath', 'modes', 'topology', 'cli', 'bench', 'index.ts'], { cwd: import.meta.dirname, encoding: 'utf8' });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    code = err.status;
    out = err.stdout;
  }
  expect(out, out).toMatch(/no dependency violations found/);
  expect(code).toBe(0);
}, 120_000);
