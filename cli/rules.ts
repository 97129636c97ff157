/** `kpath rules`: what a node's kernel holds, in the named tool's own output format. */
import { saveIpvs } from '../datapath/ipvs/format.js';
import { loadClusterArg } from './load.js';
import { PROXY_MODES, type ProxyMode } from '../topology/model/types.js';
import { TABLES, type TableName } from '../datapath/netfilter/hooks.js';
import { parse } from './args.js';
import { EXIT_OK, UsageError } from './errors.js';
import type { Out } from './output.js';

export const RULES_HELP = `kpath rules — print what a node's kernel holds, as the real tools print it

Examples:
  kpath rules fixtures/kube-proxy-worked.yaml --node node-1
  kpath rules fixtures/kube-proxy-worked.yaml --node node-1 --table nat
  kpath rules fixtures/kube-proxy-worked.yaml --node node-1 --format ipset

Usage:
  kpath rules CLUSTER.yaml|SNAPSHOT.cbor --node NAME [--mode M] [--format F] [--table T]

Options:
  --node NAME     the node (or any namespace: a pod as NS/NAME, host/NAME, router)
  --mode M        proxy mode: userspace | iptables | ipvs | nftables (overrides the fixture)
  --format F      iptables-save (default) | ipset (ipset save) | ipvsadm (ipvsadm -Sn) | nft (nft list ruleset)
  --table T       with iptables-save: only this table (raw, mangle, nat, filter, security)
  -h, --help      this help
`;

const FORMATS = ['iptables-save', 'ipset', 'ipvsadm', 'nft'] as const;

export async function rulesCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, {
    node: { type: 'string' }, mode: { type: 'string' }, format: { type: 'string' }, table: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, 'rules');
  if (values.help) {
    out.write(RULES_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError('kpath rules: expected one CLUSTER.yaml (see kpath rules --help)');
  if (values.node === undefined) throw new UsageError('kpath rules: --node NAME is required');
  const format = (values.format ?? 'iptables-save') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) throw new UsageError(`--format ${values.format}: expected one of ${FORMATS.join(', ')}`);
  if (values.mode !== undefined && !PROXY_MODES.includes(values.mode as ProxyMode)) throw new UsageError(`--mode ${values.mode}: expected one of ${PROXY_MODES.join(', ')}`);
  if (values.table !== undefined && !TABLES.includes(values.table as TableName)) throw new UsageError(`--table ${values.table}: expected one of ${TABLES.join(', ')}`);
  if (values.table !== undefined && format !== 'iptables-save') throw new UsageError('--table applies to --format iptables-save only');
  const cluster = await loadClusterArg(positionals[0]!, { mode: values.mode as ProxyMode | undefined });
  for (const w of cluster.world.warnings) out.err(`warning: ${w}\n`);
  const ns = cluster.world.namespaces.get(values.node) ?? cluster.world.namespaces.get(cluster.podNetns.get(values.node) ?? '');
  if (ns === undefined) throw new UsageError(`--node ${values.node}: no such node; nodes: ${cluster.model.nodes.map((n) => n.name).join(', ')}`);
  switch (format) {
    case 'iptables-save':
      out.write(ns.xtables.save({ tables: values.table ? [values.table as TableName] : undefined }));
      break;
    case 'ipset':
      out.write(ns.ipsets.save());
      break;
    case 'nft':
      out.write(ns.nftables.list());
      break;
    case 'ipvsadm':
      out.write(saveIpvs(ns.ipvs));
      break;
  }
  return EXIT_OK;
}
