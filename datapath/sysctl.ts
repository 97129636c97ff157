/**
 * The sysctls the datapath consults, by their /proc/sys names (net.ipv4.ip_forward,
 * net.ipv4.conf.<dev>.rp_filter, ...). Values are kept as text, as `sysctl` prints them; typed
 * getters apply the kernel's rules for combining `all`, `default` and the device's own value.
 */
export class Sysctls {
  private readonly values = new Map<string, string>();

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

  get ipForward(): boolean {
    return this.num('net.ipv4.ip_forward') !== 0;
  }

  get defaultTtl(): number {
    return this.num('net.ipv4.ip_default_ttl', 64);
  }

  get bridgeNfCallIptables(): boolean {
    return this.num('net.bridge.bridge-nf-call-iptables', 1) !== 0;
  }

  /** IN_DEV_RPFILTER: the maximum of `all` and the device's value (devinet.c). */
  rpFilter(dev: string): number {
    return Math.max(this.num('net.ipv4.conf.all.rp_filter'), this.devOrDefault(dev, 'rp_filter'));
  }

  /** IN_DEV_ROUTE_LOCALNET: `all` OR the device's. */
  routeLocalnet(dev: string): boolean {
    return this.num('net.ipv4.conf.all.route_localnet') !== 0 || this.devOrDefault(dev, 'route_localnet') !== 0;
  }

  /** IN_DEV_PROXY_ARP: `all` OR the device's. */
  proxyArp(dev: string): boolean {
    return this.num('net.ipv4.conf.all.proxy_arp') !== 0 || this.devOrDefault(dev, 'proxy_arp') !== 0;
  }

  /** IN_DEV_FORWARD: the device's forwarding flag (set from ip_forward for every device). */
  forwarding(dev: string): boolean {
    const own = this.values.get(`net.ipv4.conf.${dev}.forwarding`);
    return own !== undefined ? own !== '0' : this.ipForward;
  }

  acceptLocal(dev: string): boolean {
    return this.num('net.ipv4.conf.all.accept_local') !== 0 || this.devOrDefault(dev, 'accept_local') !== 0;
  }

  srcValidMark(dev: string): boolean {
    return this.num('net.ipv4.conf.all.src_valid_mark') !== 0 || this.devOrDefault(dev, 'src_valid_mark') !== 0;
  }
}
