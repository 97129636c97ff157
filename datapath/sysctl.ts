/**
 * The sysctls the datapath consults, by their /proc/sys names (net.ipv4.ip_forward,
 * net.ipv4.conf.<dev>.rp_filter, ...). Values are kept as text, as `sysctl` prints them; typed
 * getters apply the kernel's rules for combining `all`, `default` and the device's own value.
 */
/** The per-device values the stack reads, in DevConf order. */
const DEV_KEYS = ['rp_filter', 'route_localnet', 'proxy_arp', 'forwarding', 'accept_local', 'src_valid_mark'] as const;
const enum DevConf { RpFilter, RouteLocalnet, ProxyArp, Forwarding, AcceptLocal, SrcValidMark }

export class Sysctls {
  private readonly values = new Map<string, string>();
  /**
   * The getters' answers, worked out once per device from the text values and dropped by set():
   * the per-packet path asks for rp_filter, forwarding and the like several times per namespace
   * crossing, and composing `net.ipv4.conf.<dev>.<key>` strings for each question was a visible
   * share of it.
   */
  private readonly devCache = new Map<string, Int32Array>();
  private globals: Int32Array | null = null;

  constructor() {
    // Defaults of a new network namespace (compile-time defaults, not the init namespace's).
    this.set('net.ipv4.ip_forward', '0');
    this.set('net.ipv4.conf.all.rp_filter', '0');
    this.set('net.ipv4.conf.default.rp_filter', '0');
    this.set('net.ipv4.ip_default_ttl', '64');
    this.set('net.bridge.bridge-nf-call-iptables', '1');
    this.set('net.ipv4.conf.all.route_localnet', '0');
    this.set('net.ipv4.conf.all.accept_local', '0');
    this.set('net.netfilter.nf_conntrack_tcp_loose', '1');
  }

  set(key: string, value: string): void {
    this.values.set(key, value);
    this.devCache.clear();
    this.globals = null;
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  entries(): [string, string][] {
    return [...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private num(key: string, dflt = 0): number {
    const v = this.values.get(key);
    return v === undefined ? dflt : Number(v) || 0;
  }

  private devOrDefault(dev: string, key: string): number {
    const own = this.values.get(`net.ipv4.conf.${dev}.${key}`);
    return own !== undefined ? Number(own) || 0 : this.num(`net.ipv4.conf.default.${key}`);
  }

  /** ip_forward, ip_default_ttl, bridge-nf-call-iptables. */
  private global(): Int32Array {
    if (this.globals !== null) return this.globals;
    const g = new Int32Array(3);
    g[0] = this.num('net.ipv4.ip_forward');
    g[1] = this.num('net.ipv4.ip_default_ttl', 64);
    g[2] = this.num('net.bridge.bridge-nf-call-iptables', 1);
    return (this.globals = g);
  }

  /** The device's effective values, combined with `all` as devinet.c's IN_DEV_* macros do. */
  private dev(dev: string): Int32Array {
    let c = this.devCache.get(dev);
    if (c !== undefined) return c;
    c = new Int32Array(DEV_KEYS.length);
    const all = (key: string): number => this.num(`net.ipv4.conf.all.${key}`);
    // IN_DEV_RPFILTER: the maximum of `all` and the device's value.
    c[DevConf.RpFilter] = Math.max(all('rp_filter'), this.devOrDefault(dev, 'rp_filter'));
    // IN_DEV_ROUTE_LOCALNET, IN_DEV_PROXY_ARP, IN_DEV_ACCEPT_LOCAL, IN_DEV_SRC_VMARK: `all` OR the device's.
    c[DevConf.RouteLocalnet] = all('route_localnet') !== 0 || this.devOrDefault(dev, 'route_localnet') !== 0 ? 1 : 0;
    c[DevConf.ProxyArp] = all('proxy_arp') !== 0 || this.devOrDefault(dev, 'proxy_arp') !== 0 ? 1 : 0;
    c[DevConf.AcceptLocal] = all('accept_local') !== 0 || this.devOrDefault(dev, 'accept_local') !== 0 ? 1 : 0;
    c[DevConf.SrcValidMark] = all('src_valid_mark') !== 0 || this.devOrDefault(dev, 'src_valid_mark') !== 0 ? 1 : 0;
    // IN_DEV_FORWARD: the device's forwarding flag (set from ip_forward for every device).
    const own = this.values.get(`net.ipv4.conf.${dev}.forwarding`);
    c[DevConf.Forwarding] = (own !== undefined ? own !== '0' : this.ipForward) ? 1 : 0;
    this.devCache.set(dev, c);
    return c;
  }

  get ipForward(): boolean {
    return this.global()[0] !== 0;
  }

  get defaultTtl(): number {
    return this.global()[1]!;
  }

  get bridgeNfCallIptables(): boolean {
    return this.global()[2] !== 0;
  }

  rpFilter(dev: string): number {
    return this.dev(dev)[DevConf.RpFilter]!;
  }

  routeLocalnet(dev: string): boolean {
    return this.dev(dev)[DevConf.RouteLocalnet] !== 0;
  }

  proxyArp(dev: string): boolean {
    return this.dev(dev)[DevConf.ProxyArp] !== 0;
  }

  forwarding(dev: string): boolean {
    return this.dev(dev)[DevConf.Forwarding] !== 0;
  }

  acceptLocal(dev: string): boolean {
    return this.dev(dev)[DevConf.AcceptLocal] !== 0;
  }

  srcValidMark(dev: string): boolean {
    return this.dev(dev)[DevConf.SrcValidMark] !== 0;
  }
}
