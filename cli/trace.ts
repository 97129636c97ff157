/** `kpath trace`: where does this packet go, and why. */
import { loadClusterArg } from './load.js';
import { traceFlows, type TraceOptions } from '../topology/trace.js';
import { PROXY_MODES, type ProxyMode } from '../topology/model/types.js';
import { intOption, parse } from './args.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './errors.js';
import type { Out } from './output.js';
import { renderFlows, renderTrace } from './render-trace.js';
import { loadCaptureWorld } from './capture-world.js';

export const TRACE_HELP = `kpath trace — trace a packet hop by hop, rule by rule

Examples:
  kpath trace fixtures/two-nodes.yaml --from default/client --to svc/default/web:80/tcp
  kpath trace fixtures/two-nodes.yaml --from default/client --to web.default.svc.cluster.local:80
  kpath trace fixtures/nodeport.yaml --from host/client --to node/node-1:30080/tcp --json
  kpath trace fixtures/two-nodes.yaml --from default/client --to svc/default/web:80 --count 100 --seed 7
  kpath trace fixtures/one-node.yaml --from default/a --to default/b --icmp --ttl 1
  kpath trace --capture DIR --from netns/pod-a --to 10.0.0.3:80/tcp

Usage:
  kpath trace CLUSTER.yaml|SNAPSHOT.cbor --from SRC --to DST[:PORT[/PROTO]] [options]
  kpath trace --capture DIR --from netns/NAME --to IP[:PORT/PROTO] [options]

SRC: NS/POD | node/NAME | host/NAME | netns/NAME | IP
DST: the same, or svc/NS/NAME, or a Service DNS name; :PORT[/tcp|/udp|/sctp]

Options:
  --mode M          proxy mode: userspace | iptables | ipvs | nftables (overrides the fixture)
  --src IP          source address (default: what \`ip route get\` would choose)
  --sport N         source port (ICMP: echo identifier); default: a fresh ephemeral port per flow
  --ttl N           initial TTL (default 64)
  --mark N          socket mark (SO_MARK), decimal or 0x hex
  --size BYTES      IP total length (default: minimal)
  --no-df           clear the don't-fragment bit
  --icmp            send an ICMP echo request instead of TCP/UDP
  --seed N          seed of the random generator (statistic, schedulers, ports)
  --count N         trace N flows and print the distribution of outcomes
  --expect VERDICT  exit 1 unless the verdict is delivered | rejected | ttl-exceeded | dropped
  --json            print JSON (the contract of DESIGN.md)
  -h, --help        this help

Exit codes: 0 traced, 1 --expect did not hold, 2 bad input.
`;

const VERDICTS = ['delivered', 'rejected', 'ttl-exceeded', 'dropped'];

export async function traceCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parse(argv, {
    capture: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, mode: { type: 'string' },
    src: { type: 'string' }, sport: { type: 'string' }, ttl: { type: 'string' }, mark: { type: 'string' },
    size: { type: 'string' }, 'no-df': { type: 'boolean' }, icmp: { type: 'boolean' }, seed: { type: 'string' },
    count: { type: 'string' }, expect: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  }, 'trace');
  if (values.help) {
    out.write(TRACE_HELP);
    return EXIT_OK;
  }
  if (values.from === undefined || values.to === undefined) throw new UsageError('kpath trace: --from and --to are required (see kpath trace --help)');
  if (values.expect !== undefined && !VERDICTS.includes(values.expect)) throw new UsageError(`--expect ${values.expect}: expected one of ${VERDICTS.join(', ')}`);
  const mode = values.mode;
  if (mode !== undefined && !PROXY_MODES.includes(mode as ProxyMode)) throw new UsageError(`--mode ${mode}: expected one of ${PROXY_MODES.join(', ')}`);
  const seed = intOption(values.seed, '--seed', 0, 2 ** 32 - 1);
  let scope;
  if (values.capture !== undefined) {
    if (positionals.length > 0) throw new UsageError('kpath trace: give either CLUSTER.yaml or --capture DIR, not both');
    if (mode !== undefined) throw new UsageError('kpath trace: --mode does not apply to a capture (its rules are what the host had)');
    scope = await loadCaptureWorld(values.capture, out, seed);
  } else {
    if (positionals.length !== 1) throw new UsageError('kpath trace: expected one CLUSTER.yaml (or --capture DIR); see kpath trace --help');
    scope = await loadClusterArg(positionals[0]!, { mode: mode as ProxyMode | undefined, seed });
    for (const w of scope.world.warnings) out.err(`warning: ${w}\n`);
  }
  const count = intOption(values.count, '--count', 1, 1_000_000) ?? 1;
  const opts: TraceOptions = {
    from: values.from, to: values.to, src: values.src,
    sport: intOption(values.sport, '--sport', 0, 65535),
    ttl: intOption(values.ttl, '--ttl', 1, 255),
    mark: intOption(values.mark, '--mark', 0, 0xffffffff),
    size: intOption(values.size, '--size', 20, 65535),
    noDf: values['no-df'] ?? false, icmp: values.icmp ?? false,
    seed, count, hops: count === 1,
  };
  const result = traceFlows(scope, opts);
  const single = count === 1 ? result.flows[0]! : null;
  if (values.json) out.write(JSON.stringify(single ?? result, null, 2) + '\n');
  else out.write(single ? renderTrace(out, single) : renderFlows(out, result));
  if (values.expect !== undefined) {
    const bad = result.flows.filter((f) => f.verdict !== values.expect);
    if (bad.length > 0) {
      out.err(`kpath trace: expected ${values.expect}, got ${bad[0]!.verdict}${count > 1 ? ` in ${bad.length} of ${count} flows` : ''}\n`);
      return EXIT_FAILED;
    }
  }
  return EXIT_OK;
}
