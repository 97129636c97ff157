/**
 * The cost shape of each proxy mode (scaling.md, "What kpath's cost model must show"): the kernel
 * work a first packet costs to the first and to the last of N services, and the size of the update
 * kube-proxy sends when one service is added. Deterministic counters only; nothing here is timed.
 *
 *   iptables   rules evaluated grow with the service's position in KUBE-SERVICES
 *   ipvs       one ipset look-up and one IPVS look-up, flat
 *   nftables   one verdict-map look-up, flat
 *   userspace  the portal rules' walk plus the proxy's user/kernel crossings
 *
 *   npx tsx bench/modes.ts [--json]        (or node dist/bench/modes.js after npm run build)
 */
import { parseCluster, type Cluster } from '../topology/cluster.js';
import { serviceObjects, sliceObjects } from '../topology/build/proxy.js';
import { parseClusterModel } from '../topology/model/index.js';
import type { ProxyMode } from '../topology/model/types.js';
import { buildServicePorts } from '../modes/common/index.js';
import { traceOnce } from '../topology/trace.js';
import { int, isMain, renderTable } from './table.js';

export const MODES: readonly ProxyMode[] = ['iptables', 'ipvs', 'nftables', 'userspace'];

/** One node, a client and two backends; N ClusterIP services selecting the backends. */
export function clusterYaml(n: number, mode: ProxyMode): string {
  const docs: string[] = [
    `apiVersion: kpath.dev/v1alpha1\nkind: Cluster\nmetadata: {name: bench}\nspec:\n  proxy: {mode: ${mode}}`,
    'apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nspec: {podCIDR: 10.244.0.0/24}\nstatus: {addresses: [{type: InternalIP, address: 192.168.1.10}]}',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: default}\nspec: {nodeName: node-1, containers: [{name: c, image: x}]}',
  ];
  for (const b of ['web-a', 'web-b']) {
    docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: ${b}, namespace: default, labels: {app: web}}\nspec: {nodeName: node-1, containers: [{name: w, image: x, ports: [{name: http, containerPort: 8080}]}]}`);
  }
  for (let i = 0; i < n; i++) {
    const ip = `10.96.${(i + 100) >> 8}.${(i + 100) & 255}`;
    docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: svc-${String(i).padStart(5, '0')}, namespace: default}\nspec: {clusterIP: ${ip}, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}`);
  }
  return docs.join('\n---\n') + '\n';
}

export interface ModeCost {
  mode: ProxyMode;
  services: number;
  target: 'first' | 'last';
  verdict: string;
  rulesEvaluated: number;
  setLookups: number;
  ipvsLookups: number;
  userKernelCrossings: number;
  /** Lines of the restore/transaction text kube-proxy sends when one service is added. */
  addOneServiceLines: number | null;
  note: string | null;
}

function addOneService(cluster: Cluster, n: number, mode: ProxyMode): number | null {
  const proxier = cluster.proxiers.get('node-1');
  if (proxier === undefined) return null;
  const model = parseClusterModel(clusterYaml(n + 1, mode), 'bench.yaml');
  const r = proxier.sync(buildServicePorts(serviceObjects(model), sliceObjects(model), 'node-1'));
  return r.restoreText.split('\n').filter((l) => l.trim() !== '').length;
}

export async function modeCosts(ns: readonly number[] = [100, 10_000]): Promise<ModeCost[]> {
  const rows: ModeCost[] = [];
  for (const mode of MODES) {
    for (const n of ns) {
      const cluster = await parseCluster(clusterYaml(n, mode), 'bench.yaml', { seed: 1 });
      const unsupported = cluster.world.warnings.find((w) => w.includes('not modelled'));
      for (const target of ['first', 'last'] as const) {
        const svc = `svc-${String(target === 'first' ? 0 : n - 1).padStart(5, '0')}`;
        const r = traceOnce(cluster, { from: 'default/client', to: `svc/default/${svc}:80/tcp`, hops: false, sport: 40000 + rows.length });
        rows.push({
          mode, services: n, target, verdict: r.verdict,
          rulesEvaluated: r.cost.rulesEvaluated, setLookups: r.cost.setLookups, ipvsLookups: r.cost.ipvsLookups,
          userKernelCrossings: r.cost.userKernelCrossings, addOneServiceLines: null, note: unsupported ?? null,
        });
      }
      rows[rows.length - 1]!.addOneServiceLines = addOneService(cluster, n, mode);
    }
  }
  return rows;
}

export function modeCostTable(rows: readonly ModeCost[]): string {
  return renderTable(
    ['mode', 'services', 'to service', 'verdict', 'rulesEvaluated', 'setLookups', 'ipvsLookups', 'crossings', 'add-one-service lines'],
    rows.map((r) => [r.mode, int(r.services), r.target, r.verdict, int(r.rulesEvaluated), int(r.setLookups), int(r.ipvsLookups), int(r.userKernelCrossings), r.addOneServiceLines === null ? '' : int(r.addOneServiceLines)]),
  );
}

if (isMain(import.meta.url)) {
  const rows = await modeCosts(process.argv.includes('--quick') ? [10, 100] : [100, 10_000]);
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
  else process.stdout.write(`Cost of a first packet per proxy mode (deterministic counters)\n\n${modeCostTable(rows)}\n`);
}
