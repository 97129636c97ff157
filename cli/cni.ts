/**
 * `kpath cni ...`: kpath's CNI plugins and the emulated host they act on.
 *   install DIR          write one executable per plugin type into DIR
 *   exec TYPE            run one plugin in-process with the exec protocol (env + stdin → stdout, exit code)
 */
import { parseArgs } from 'node:util';
import { installPlugins } from '../topology/cni/install.js';
import { PLUGIN_TYPES, runPlugin } from '../topology/cni/plugins/index.js';
import { KPATH_CNI_HOST_ENV } from '../topology/cni/host/index.js';
import { EXIT_USAGE } from './errors.js';
import type { Out } from './output.js';
import { CNI_RUNNER_COMMANDS, CNI_RUNNER_HELP } from './cni-runner.js';

export const CNI_HELP = `kpath cni — CNI plugins over the real exec protocol, acting on an emulated host

Examples:
  kpath cni install /tmp/cni-bin
  export ${KPATH_CNI_HOST_ENV}=/tmp/host
  echo '{"cniVersion":"1.0.0","name":"net","type":"bridge","isGateway":true,
         "ipam":{"type":"host-local","subnet":"10.22.0.0/16"}}' |
    CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=pod1 CNI_IFNAME=eth0 CNI_PATH=/tmp/cni-bin /tmp/cni-bin/bridge
  echo '{"cniVersion":"1.0.0","name":"net","type":"host-local","ipam":{"subnet":"10.1.0.0/24"}}' |
    CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=x CNI_IFNAME=eth0 CNI_PATH=/tmp/cni-bin kpath cni exec host-local

Commands:
  install DIR [--from auto|dist|source] [--type T]...
                  write one executable per plugin type (${PLUGIN_TYPES.join(', ')}) into DIR
  exec TYPE       run plugin TYPE in this process: CNI_* variables from the environment, the
                  configuration on stdin; prints what the plugin prints, exits with its status

The emulated host lives in the directory named by ${KPATH_CNI_HOST_ENV} (or the configuration's
"kpathHost"); default: \$XDG_STATE_HOME/kpath/cni-host (~/.local/state/kpath/cni-host). Its namespace
"root" is the host's own; CNI_NETNS names another one as a bare name or as <host dir>/netns/NAME
(/run/netns/NAME and /var/run/netns/NAME are read as NAME too).
`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function installCmd(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { from: { type: 'string' }, type: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    out.write(CNI_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    out.err('kpath cni install: expected one directory\n');
    return EXIT_USAGE;
  }
  const from = values.from ?? 'auto';
  if (from !== 'auto' && from !== 'dist' && from !== 'source') {
    out.err(`kpath cni install: --from: expected auto, dist or source, got ${JSON.stringify(from)}\n`);
    return EXIT_USAGE;
  }
  try {
    for (const p of installPlugins(positionals[0]!, { from, ...(values.type ? { types: values.type } : {}) })) out.write(`${p}\n`);
  } catch (e) {
    out.err(`kpath cni install: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  return 0;
}

async function execCmd(argv: string[], out: Out): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    out.write(CNI_HELP);
    return 0;
  }
  if (argv.length !== 1) {
    out.err(`kpath cni exec: expected one plugin type (${PLUGIN_TYPES.join(', ')})\n`);
    return EXIT_USAGE;
  }
  const cmd = process.env['CNI_COMMAND'] ?? '';
  const stdin = cmd === 'VERSION' || cmd === '' ? '' : await readStdin();
  const r = runPlugin(argv[0]!, process.env, stdin);
  if (r.stderr !== '') out.err(r.stderr);
  out.write(r.stdout);
  return r.code;
}

/** Sub-commands; the runner's (add|del|check|gc|status|conformance) register here too. */
export const CNI_COMMANDS: Record<string, (argv: string[], out: Out) => Promise<number>> = {
  install: installCmd,
  exec: execCmd,
  ...CNI_RUNNER_COMMANDS,
};

export async function cniCommand(argv: string[], out: Out): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out.write(CNI_HELP + CNI_RUNNER_HELP);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  const run = CNI_COMMANDS[sub];
  if (run === undefined) {
    out.err(`kpath cni: unknown command ${JSON.stringify(sub)}; commands: ${Object.keys(CNI_COMMANDS).join(', ')}\n`);
    return EXIT_USAGE;
  }
  return run(rest, out);
}
