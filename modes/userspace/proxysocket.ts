/**
 * The proxy sockets of the userspace proxier (pkg/proxy/userspace/proxysocket.go): one listening
 * TCP socket or bound UDP socket per service port, on the node, owned by kube-proxy. The kernel
 * hands it the client's packet after iptables steered it to the proxy port; kube-proxy picks an
 * endpoint and opens its own connection to it, from the node — so the endpoint sees the node's
 * address, never the client's.
 */
import { formatIPv4, type IPv4 } from '../../datapath/addr/ipv4.js';
import type { NetNS, SocketIo, UserspaceHandler } from '../../datapath/netns.js';
import { IPPROTO_TCP, minimalLength, TCP_ACK, TCP_RST, TCP_SYN, type Packet } from '../../datapath/packet.js';
import type { LbEndpoint, LoadBalancerRR } from './loadbalancer.js';

/** Linux's default net.ipv4.ip_local_port_range, where connect() takes its source ports. */
export const EPHEMERAL_LO = 32768;
export const EPHEMERAL_HI = 60999;

/** --udp-timeout default: an idle client's backend socket is closed after 250 ms. */
export const UDP_IDLE_TIMEOUT_MS = 250;

interface UdpClient {
  endpoint: LbEndpoint;
  /** The backend socket's local port. */
  sport: number;
  /** Clock ms when its deadline was last pushed forward. */
  lastActive: number;
}

export class ProxySocket implements UserspaceHandler {
  readonly name: string;
  /** UDP: client (IP, port) → its backend socket (clientCache, keyed by the client's address). */
  private readonly udpClients = new Map<number, UdpClient>();
  /** Set by Close(): a closed socket no longer takes packets (the proxier removes it from the netns). */
  alive = true;

  constructor(
    private readonly netns: NetNS,
    readonly spn: string,
    readonly proto: number,
    readonly proxyPort: number,
    private readonly lb: LoadBalancerRR,
    private readonly udpTimeoutMs = UDP_IDLE_TIMEOUT_MS,
  ) {
    this.name = `kube-proxy (${spn})`;
  }

  receive(pkt: Readonly<Packet>, io: SocketIo): void {
    if (this.proto === IPPROTO_TCP) this.acceptTcp(pkt, io);
    else this.readUdp(pkt, io);
  }

  /**
   * ProxyLoop for TCP: the kernel completed the handshake (a listening socket), kube-proxy
   * accept()s and dials an endpoint (tryConnect). With no endpoint it closes the client's
   * connection.
   * DEVIATION: the dial is traced once; kube-proxy retries a failed dial up to four times (250 ms
   * to 2 s timeouts, each on the next endpoint with affinity reset), which a single probe cannot
   * observe here.
   */
  private acceptTcp(pkt: Readonly<Packet>, io: SocketIo): void {
    if ((pkt.tcpFlags & TCP_SYN) === 0) return io.discard('proxy-not-a-connection');
    const ep = this.lb.nextEndpoint(this.spn, pkt.src);
    if (ep === null) {
      if (io.tracing) io.note(`${this.name}: accepted, no endpoints: connection closed`, pkt);
      // UNVERIFIED: kube-proxy accepts, then closes (inConn.Close()): the client sees its
      // connection end without a byte — a FIN, or a reset when it already sent data. kpath
      // answers the SYN with the reset, the one packet-level outcome a probe can report.
      return io.reply(this.resetFor(pkt));
    }
    if (io.tracing) io.note(`${this.name}: accepted from ${formatIPv4(pkt.src)}:${pkt.sport}, dialing ${ep.key}`, pkt);
    io.send(this.dial(ep, this.ephemeralPort(), pkt));
  }

  /**
   * ProxyLoop for UDP: one backend socket per client address, reused while the client keeps
   * sending within the UDP timeout; a datagram with no endpoint to go to is dropped.
   */
  private readUdp(pkt: Readonly<Packet>, io: SocketIo): void {
    const now = this.netns.clock.now();
    const key = pkt.src * 65536 + pkt.sport;
    let c = this.udpClients.get(key);
    if (c !== undefined && now - c.lastActive >= this.udpTimeoutMs) {
      // The backend socket's read deadline passed: proxyClient closed it and forgot the client.
      this.udpClients.delete(key);
      c = undefined;
    }
    if (c === undefined) {
      const ep = this.lb.nextEndpoint(this.spn, pkt.src);
      if (ep === null) {
        if (io.tracing) io.note(`${this.name}: no endpoints: datagram dropped`, pkt);
        return io.discard('proxy-no-endpoints');
      }
      c = { endpoint: ep, sport: this.ephemeralPort(), lastActive: now };
      this.udpClients.set(key, c);
      if (io.tracing) io.note(`${this.name}: new client ${formatIPv4(pkt.src)}:${pkt.sport}, backend socket to ${ep.key}`, pkt);
    } else if (io.tracing) {
      io.note(`${this.name}: known client ${formatIPv4(pkt.src)}:${pkt.sport}, backend socket to ${c.endpoint.key}`, pkt);
    }
    c.lastActive = now;
    io.send(this.dial(c.endpoint, c.sport, pkt));
  }

  /** The first packet of kube-proxy's own connection: its source is left to routing. */
  private dial(ep: LbEndpoint, sport: number, from: Readonly<Packet>): Packet {
    const tcp = this.proto === IPPROTO_TCP;
    return {
      src: 0, dst: ep.ip, proto: this.proto, sport, dport: ep.port,
      tcpFlags: tcp ? TCP_SYN : 0, icmpType: 0, icmpCode: 0,
      ttl: this.netns.sysctl.defaultTtl, tos: 0,
      // A SYN carries no data; a datagram's payload is copied as is.
      length: tcp ? minimalLength(this.proto) : Math.max(minimalLength(this.proto), from.length), df: true,
    };
  }

  private resetFor(p: Readonly<Packet>): Packet {
    return {
      src: p.dst, dst: p.src, proto: IPPROTO_TCP, sport: p.dport, dport: p.sport,
      tcpFlags: TCP_RST | TCP_ACK, icmpType: 0, icmpCode: 0,
      ttl: this.netns.sysctl.defaultTtl, tos: 0, length: minimalLength(IPPROTO_TCP), df: true,
    };
  }

  /** connect()'s source port. DEVIATION: drawn at random from the ephemeral range, not by the kernel's hash of the 4-tuple. */
  private ephemeralPort(): number {
    return this.netns.rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
  }

  /** For tests: the backend socket a UDP client is using. */
  udpClient(src: IPv4, sport: number): LbEndpoint | null {
    return this.udpClients.get(src * 65536 + sport)?.endpoint ?? null;
  }
}
