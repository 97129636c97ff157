/** `kpath snapshot`: build a cluster once and save it as CBOR, for fast reloads. */
import { PROXY_MODES, type ProxyMode } from '../topology/model/types.js';
import { loadCluster } from '../topology/cluster.js';
import { saveSnapshot } from '../topology/snapshot/snapshot.js';
import { parse } from './args.js';
import { EXIT_OK, UsageError } from './errors.js';
import type { Out } from './output.js';

export const SNAPSHOT_HELP = `kpath snapshot — build a cluster from its fixture and save the built world as CBOR

Examples:
  kpath snapshot fixtures/two-nodes.yaml -o two-nodes.cbor
  kpath trace two-nodes.cbor --from default/client --to svc/default/web:80/tcp
  kpath rules two-nodes.cbor --node node-1

Usage:
  kpath snapshot CLUSTER.yaml -o FILE.cbor [--mode M]

A snapshot holds every namespace's devices, addresses, routes, rules, neighbours, sysctls,
iptables rules, ipsets and conntrack entries; trace and rules accept it wherever they accept a
fixture, and load it without parsing YAML or running kube-proxy again.
`;

export async function snapshotCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, {
    output: { type: 'string', short: 'o' }, mode: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, 'snapshot');
  if (values.help) {
    out.write(SNAPSHOT_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1 || values.output === undefined) throw new UsageError('kpath snapshot: expected CLUSTER.yaml -o FILE.cbor (see kpath snapshot --help)');
  if (!values.output.endsWith('.cbor')) throw new UsageError(`-o ${values.output}: a snapshot file name ends in .cbor`);
  if (values.mode !== undefined && !PROXY_MODES.includes(values.mode as ProxyMode)) throw new UsageError(`--mode ${values.mode}: expected one of ${PROXY_MODES.join(', ')}`);
  const cluster = await loadCluster(positionals[0]!, { mode: values.mode as ProxyMode | undefined });
  for (const w of cluster.world.warnings) out.err(`warning: ${w}\n`);
  saveSnapshot(cluster, values.output);
  out.err(`wrote ${values.output}: ${cluster.world.namespaces.size} namespaces\n`);
  return EXIT_OK;
}
