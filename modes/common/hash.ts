/**
 * Chain and object names kube-proxy derives from service-port names. iptables chain names are
 * limited to 28 characters, so kube-proxy hashes: `KUBE-SVC-` + hash16(spn + protocol).
 * Defined in pkg/proxy/iptables/proxier.go (servicePortPolicyClusterChain, servicePortEndpointChainName)
 * and pkg/proxy/nftables/proxier.go (hashAndTruncate).
 */
import { createHash } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 standard base32 (with `=` padding), as Go's base32.StdEncoding.EncodeToString. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buf = 0;
  let bits = 0;
  for (const b of bytes) {
    buf = (buf << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buf >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buf &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buf << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function sha256Base32(s: string): string {
  return base32(createHash('sha256').update(s, 'utf8').digest());
}

/** First 16 characters of base32(sha256(s)): the iptables-mode chain-name hash. */
export function hash16(s: string): string {
  return sha256Base32(s).slice(0, 16);
}

/** `KUBE-SVC-…`-style suffix of a service port: hash16(spn + lower-case protocol). */
export function servicePortChainHash(spn: string, protocol: string): string {
  return hash16(spn + protocol.toLowerCase());
}

/** `KUBE-SEP-…` suffix of one endpoint of a service port ("IP:port"). */
export function endpointChainHash(spn: string, protocol: string, endpoint: string): string {
  return hash16(spn + protocol.toLowerCase() + endpoint);
}

/**
 * nftables mode's names (hashAndTruncate): the first 8 base32 characters of sha256(name), a dash,
 * then the name itself, truncated to `maxLength` with a trailing "...".
 */
export function nftHashAndTruncate(name: string, maxLength = 256 - 16): string {
  let n = sha256Base32(name).slice(0, 8) + '-' + name;
  if (n.length > maxLength) n = n.slice(0, maxLength - 3) + '...';
  return n;
}
