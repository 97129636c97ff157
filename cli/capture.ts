/** `kpath capture`: runs the capture script shipped with kpath (root, Linux). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, UsageError } from './errors.js';
import type { Out } from './output.js';

export const CAPTURE_HELP = `kpath capture — write a real host's network namespaces to a directory for offline tracing

Examples:
  sudo kpath capture /tmp/cap                 every namespace of \`ip netns list\` and the initial one (as "root")
  sudo kpath capture /tmp/cap pod-a node1     only these namespaces
  kpath trace --capture /tmp/cap --from netns/pod-a --to 10.0.0.3:80/tcp

Usage:
  kpath capture OUTDIR [NETNS...]

Writes the layout of kpath's capture format (manifest.json and per namespace iptables-save.txt,
ipset-save.txt, link/addr/route/rule/neigh/fdb JSON from ip -j and bridge -j, sysctl.txt, and
nft.txt/ipvsadm.txt/conntrack.txt where those tools exist). Needs root and iproute2.
`;

function scriptPath(): string {
  // Works from the sources (cli/) and from the compiled tree (dist/cli/).
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, '..', 'topology', 'capture', 'kpath-capture.sh'), join(here, '..', '..', 'topology', 'capture', 'kpath-capture.sh')]) {
    if (existsSync(p)) return p;
  }
  throw new UsageError('kpath capture: the capture script is missing from this installation');
}

export async function captureCommand(argv: string[], out: Out): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    out.write(CAPTURE_HELP);
    return EXIT_OK;
  }
  if (argv.length < 1 || argv[0]!.startsWith('-')) throw new UsageError('kpath capture: expected OUTDIR [NETNS...] (see kpath capture --help)');
  const r = spawnSync('bash', [scriptPath(), ...argv], { stdio: 'inherit' });
  if (r.error) throw new UsageError(`kpath capture: ${r.error.message}`);
  return r.status ?? 2;
}
