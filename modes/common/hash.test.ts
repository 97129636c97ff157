import { describe, expect, it } from 'vitest';
import { base32, endpointChainHash, hash16, nftHashAndTruncate, servicePortChainHash } from './hash.js';

describe('hash16', () => {
  // kube-proxy's own test expectations (pkg/proxy/iptables/proxier_test.go) and real nodes.
  const vectors: [string, string, string | null, string][] = [
    ['ns1/svc1:p80', 'tcp', null, 'XPGD46QRK7WJZT7O'],
    ['ns1/svc1:p80', 'tcp', '10.180.0.1:80', 'SXIVWICOYRO3J4NJ'],
    ['ns2/svc2:p80', 'tcp', null, 'GNZBNJ2PO5MGZ6GT'],
    ['ns5/svc5:p80', 'tcp', null, 'NUKIZ6OKUXPJNT4C'],
    ['ns5/svc5:p80', 'tcp', '10.180.0.3:80', 'I77PXRDZVX7PMWMN'],
    ['ns2/svc2:p8080', 'tcp', null, '2VJB64SDSIJUP5T6'],
    ['ns4/svc4:p80', 'tcp', '10.0.4.1:80', 'AYCN5HPXMIRJNJXU'],
    ['kube-system/kube-dns:dns', 'udp', null, 'TCOU7JCQXEZGVUNU'],
    ['kube-system/kube-dns:dns-tcp', 'tcp', null, 'ERIFXISQEP7F7OF4'],
    ['kube-system/kube-dns:metrics', 'tcp', null, 'JD5MR3NA4I4DYORP'],
    ['default/kubernetes:https', 'tcp', null, 'NPX46M4PTMTKRN6Y'],
    ['ns1/svc1:p80', 'tcp', '10.0.0.0:80', 'DKGQUZGBKLTPAR56'],
    ['ns3/svc3:p8081', 'tcp', '203.0.113.4:8081', 'RUVVH7YV3PHQBDOS'],
    ['default/nginx', 'tcp', null, '2CMXP7HKUVJN7L6M'],
  ];
  for (const [spn, proto, ep, want] of vectors) {
    it(`${spn} ${proto} ${ep ?? ''} → ${want}`, () => {
      const got = ep === null ? servicePortChainHash(spn, proto) : endpointChainHash(spn, proto, ep);
      expect(got).toBe(want);
      expect(got).toHaveLength(16);
    });
  }
  it('protocol case does not matter (kube-proxy lower-cases it)', () => {
    expect(servicePortChainHash('ns1/svc1:p80', 'TCP')).toBe('XPGD46QRK7WJZT7O');
    expect(hash16('ns1/svc1:p80tcp')).toBe('XPGD46QRK7WJZT7O');
  });
  it('base32 matches RFC 4648 test vectors', () => {
    const enc = (s: string) => base32(new TextEncoder().encode(s));
    expect(enc('')).toBe('');
    expect(enc('f')).toBe('MY======');
    expect(enc('fo')).toBe('MZXQ====');
    expect(enc('foo')).toBe('MZXW6===');
    expect(enc('foob')).toBe('MZXW6YQ=');
    expect(enc('fooba')).toBe('MZXW6YTB');
    expect(enc('foobar')).toBe('MZXW6YTBOI======');
  });
});

describe('nftHashAndTruncate', () => {
  const vectors: [string, string][] = [
    ['ns1/svc1/tcp/p80', 'ULMVA6XW'],
    ['ns1/svc1/tcp/p80__10.180.0.1/80', '5OJB2KTY'],
    ['ns2/svc2/tcp/p80', '42NFTM6N'],
    ['ns5/svc5/tcp/p80__10.180.0.3/80', 'GTK6MW7G'],
    ['ns4/svc4/tcp/p80__10.180.0.5/80', '5RFCDDV7'],
  ];
  for (const [name, want] of vectors) {
    it(name, () => expect(nftHashAndTruncate(name)).toBe(`${want}-${name}`));
  }
  it('truncates long names with "..."', () => {
    const n = nftHashAndTruncate('x'.repeat(300));
    expect(n).toHaveLength(240);
    expect(n.endsWith('...')).toBe(true);
  });
});
