/**
 * The `kpath` command: one file per sub-command; this file only dispatches and turns errors into
 * exit codes (0 ok, 1 a check failed, 2 usage or input error) and one-line messages.
 */
import { EXIT_USAGE, isUserFacing } from './errors.js';
import { stdOut, type Out } from './output.js';
import { traceCommand } from './trace.js';
import { rulesCommand } from './rules.js';
import { captureCommand } from './capture.js';
import { matrixCommand } from './matrix.js';
import { snapshotCommand } from './snapshot.js';
import { cniCommand } from './cni.js';

export const MAIN_HELP = `kpath — a packet-level emulator of the Kubernetes node datapath

Examples:
  kpath trace fixtures/two-nodes.yaml --from default/client --to svc/default/web:80/tcp
  kpath rules fixtures/kube-proxy-worked.yaml --node node-1 --table nat
  sudo kpath capture /tmp/cap && kpath trace --capture /tmp/cap --from netns/NAME --to 10.0.0.2:80/tcp

Commands:
  trace     trace a packet (or N flows) hop by hop, rule by rule
  rules     print a node's iptables / ipset state as the real tools print it
  capture   capture a real host's namespaces for offline tracing (root, Linux)
  matrix    trace every pod to every Service port (and hosts to NodePorts): the verdict table
  snapshot  save a built cluster as CBOR, reloaded faster than its YAML
  cni       CNI plugins over the exec protocol on an emulated host (install, exec)

Run \`kpath COMMAND --help\` for a command's options and examples.
`;

const COMMANDS: Record<string, (argv: string[], out: Out) => Promise<number>> = {
  trace: traceCommand,
  rules: rulesCommand,
  capture: captureCommand,
  matrix: matrixCommand,
  snapshot: snapshotCommand,
  cni: cniCommand,
};

export async function main(argv: string[], out: Out = stdOut()): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    out.write(MAIN_HELP);
    return cmd === undefined ? EXIT_USAGE : 0;
  }
  const run = COMMANDS[cmd];
  if (run === undefined) {
    out.err(`kpath: unknown command ${JSON.stringify(cmd)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return EXIT_USAGE;
  }
  try {
    return await run(rest, out);
  } catch (e) {
    if (isUserFacing(e)) {
      out.err(`${e.message.split('\n')[0]}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
