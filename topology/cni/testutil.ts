/** Test helpers: install kpath's launchers in a temp dir and run them as a runtime does. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPlugins } from './install.js';
import { EmulatedHost, KPATH_CNI_HOST_ENV } from './host/index.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | null;
}

export interface Bed {
  root: string;
  bin: string;
  hostDir: string;
  host: EmulatedHost;
  ipamDir: string;
  env(extra?: Record<string, string | undefined>): Record<string, string>;
  run(type: string, env: Record<string, string | undefined>, stdin: string): Promise<Run>;
  cleanup(): void;
}

export function execPlugin(path: string, env: Record<string, string>, stdin: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(path, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      let json: Record<string, unknown> | null = null;
      try {
        json = stdout.trim() === '' ? null : (JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        json = null;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
    p.stdin.on('error', () => undefined);
    p.stdin.end(stdin);
  });
}

export function makeBed(): Bed {
  const root = mkdtempSync(join(tmpdir(), 'kpt-cni-'));
  const bin = join(root, 'bin');
  // 'auto': the compiled plugins when the build is fresh (CI builds in npm ci), else the sources.
  installPlugins(bin, { from: 'auto' });
  const hostDir = join(root, 'host');
  const host = EmulatedHost.open(hostDir);
  const bed: Bed = {
    root,
    bin,
    hostDir,
    host,
    ipamDir: join(root, 'ipam'),
    env(extra = {}) {
      const e: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', [KPATH_CNI_HOST_ENV]: hostDir, CNI_PATH: bin, HOME: root };
      for (const [k, v] of Object.entries(extra)) {
        if (v === undefined) delete e[k];
        else e[k] = v;
      }
      return e;
    },
    run(type, env, stdin) {
      return execPlugin(join(bin, type), bed.env(env), stdin);
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  return bed;
}
