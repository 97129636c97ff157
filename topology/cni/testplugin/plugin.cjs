#!/usr/bin/env node
// kpath-test-ipam: a small conformant CNI IPAM plugin used to test the conformance runner.
// It allocates IPv4 addresses host-local style (one file per address under <dataDir>/<network>/,
// content "<containerID>\r\n<ifname>", an exclusive lock around every store operation) and touches
// no kernel state, so it behaves the same against real namespaces and the emulated host.
// BREAK (substituted when a copy is installed) makes the copy violate exactly one rule.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const BREAK = '@BREAK@';
const SERVED = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
const LISTED = BREAK === 'version-omits' ? SERVED.filter((v) => v !== '0.4.0') : SERVED;
const ACCEPTED = BREAK === 'version-omits' ? SERVED : LISTED;

class CniError extends Error {
  constructor(code, msg, details) { super(msg); this.code = code; this.details = details; }
}
let cniVersion = '1.1.0';

function fail(e) {
  const o = { cniVersion, code: e instanceof CniError ? e.code : 999, msg: e.message };
  if (e instanceof CniError && e.details) o.details = e.details;
  process.stdout.write(JSON.stringify(o));
  process.exit(1);
}

function cmp(a, b) {
  const x = a.split('.').map(Number), y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
const ip2n = (s) => s.split('.').reduce((a, p) => a * 256 + Number(p), 0);
const n2ip = (n) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function withLock(dir, fn) {
  const lock = path.join(dir, 'lock.d');
  for (let i = 0; ; i++) {
    try { fs.mkdirSync(lock); break; } catch (e) {
      if (e.code !== 'EEXIST' || i > 2000) throw new CniError(11, 'store is locked', lock);
      sleep(5);
    }
  }
  try { return fn(); } finally { fs.rmdirSync(lock); }
}

function main() {
  const env = process.env;
  const cmd = env.CNI_COMMAND;
  if (cmd === undefined || cmd === '') {
    process.stderr.write(`CNI kpath-test-ipam plugin\nCNI protocol versions supported: ${LISTED.join(', ')}\n`);
    return;
  }
  if (cmd === 'VERSION') {
    let v = '1.1.0';
    try { const o = JSON.parse(fs.readFileSync(0, 'utf8')); if (typeof o.cniVersion === 'string' && LISTED.includes(o.cniVersion)) v = o.cniVersion; } catch { /* any stdin is fine */ }
    process.stdout.write(JSON.stringify({ cniVersion: v, supportedVersions: LISTED }) + '\n');
    return;
  }
  const needs = { ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'], CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'], DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'], GC: [], STATUS: [] }[cmd];
  if (needs === undefined) throw new CniError(4, `unknown CNI_COMMAND: ${cmd}`);
  const missing = needs.filter((k) => !env[k]);
  if (missing.length > 0) throw new CniError(4, `required env variables [${missing.join(',')}] missing`);
  let conf;
  try { conf = JSON.parse(fs.readFileSync(0, 'utf8')); } catch (e) { throw new CniError(6, `error unmarshall network config: ${e.message}`); }
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) throw new CniError(6, 'error unmarshall network config: not an object');
  const version = typeof conf.cniVersion === 'string' && conf.cniVersion !== '' ? conf.cniVersion : '0.1.0';
  if (!ACCEPTED.includes(version)) {
    throw new CniError(BREAK === 'bad-version-code' ? 7 : 1, 'incompatible CNI versions', `config is "${version}", plugin supports ${JSON.stringify(LISTED)}`);
  }
  cniVersion = version;
  if (typeof conf.name !== 'string' || conf.name === '') throw new CniError(7, 'missing network name');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(conf.name)) throw new CniError(7, 'invalid characters found in network name', conf.name);
  if (cmd === 'CHECK' && cmp(version, '0.4.0') < 0) throw new CniError(1, 'config version does not allow CHECK');
  if ((cmd === 'GC' || cmd === 'STATUS') && cmp(version, '1.1.0') < 0) throw new CniError(1, `config version does not allow ${cmd}`);
  const cid = env.CNI_CONTAINERID, ifname = env.CNI_IFNAME;
  if (needs.includes('CNI_CONTAINERID') && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(cid)) throw new CniError(4, 'invalid characters in containerID', cid);
  if (needs.includes('CNI_IFNAME')) {
    if (Buffer.byteLength(ifname) > 15) throw new CniError(4, 'interface name is too long', 'interface name should be less than 16 characters');
    if (ifname === '.' || ifname === '..') throw new CniError(4, 'interface name is . or ..');
    if (/[/:\s]/.test(ifname)) throw new CniError(4, 'interface name contains / or : or whitespace characters');
  }
  const ipam = conf.ipam;
  if (typeof ipam !== 'object' || ipam === null) throw new CniError(7, "IPAM config missing 'ipam' key");
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(String(ipam.subnet));
  if (m === null || Number(m[2]) > 30) throw new CniError(7, 'ipam.subnet: expected an IPv4 network of /30 or larger', String(ipam.subnet));
  const len = Number(m[2]);
  const size = 2 ** (32 - len);
  const net = ip2n(m[1]) - (ip2n(m[1]) % size);
  const gateway = n2ip(net + 1);
  const dir = path.join(typeof ipam.dataDir === 'string' ? ipam.dataDir : '/var/lib/cni/networks', conf.name);
  fs.mkdirSync(dir, { recursive: true });
  const owner = (f) => { try { return fs.readFileSync(path.join(dir, f), 'utf8'); } catch { return undefined; } };
  const addrs = () => fs.readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  const me = `${cid}\r\n${ifname}`;

  switch (cmd) {
    case 'ADD': {
      const result = withLock(dir, () => {
        const held = addrs().find((f) => owner(f) === me);
        if (held !== undefined) throw new CniError(100, `${held} has been allocated to ${cid}, duplicate allocation is not allowed`);
        for (let n = net + 2; n < net + size - 1; n++) {
          try { fs.writeFileSync(path.join(dir, n2ip(n)), me, { flag: 'wx' }); return n2ip(n); } catch (e) { if (e.code !== 'EEXIST') throw e; }
        }
        throw new CniError(101, `no IP addresses available in range ${n2ip(net + 2)}-${n2ip(net + size - 2)}`);
      });
      const address = BREAK === 'no-prefix' ? result : `${result}/${len}`;
      // 0.3.x/0.4.0 results carry the address family in `version`; 1.x dropped it.
      const ip = cmp(version, '1.0.0') < 0 ? { version: '4', address, gateway } : { address, gateway };
      const out = { cniVersion: version, ips: [ip] };
      if (Array.isArray(ipam.routes)) out.routes = ipam.routes;
      out.dns = {};
      process.stdout.write(JSON.stringify(out));
      return;
    }
    case 'DEL': {
      const freed = withLock(dir, () => addrs().filter((f) => owner(f) === me).map((f) => (fs.rmSync(path.join(dir, f)), f)));
      if (BREAK === 'bad-del' && freed.length === 0) throw new CniError(102, `no allocation of ${cid}/${ifname} to release`);
      return;
    }
    case 'CHECK': {
      if (conf.prevResult === undefined) throw new CniError(103, 'Required prevResult missing');
      const held = withLock(dir, () => addrs().filter((f) => owner(f) === me));
      if (held.length === 0) throw new CniError(104, `Failed to find address added by container ${cid}`);
      for (const ipc of conf.prevResult.ips || []) {
        const a = String(ipc.address).split('/')[0];
        if (!held.includes(a)) throw new CniError(104, `address ${a} is not reserved for ${cid}/${ifname}`);
      }
      return;
    }
    case 'GC': {
      const valid = conf['cni.dev/valid-attachments'] || conf['cni.dev/attachments'] || [];
      const keep = new Set(valid.map((a) => `${a.containerID}\r\n${a.ifname}`));
      withLock(dir, () => { for (const f of addrs()) if (!keep.has(owner(f))) fs.rmSync(path.join(dir, f)); });
      return;
    }
    case 'STATUS': {
      const used = addrs().length;
      if (used >= size - 3) throw new CniError(50, 'no IP addresses available');
      return;
    }
  }
}

try { main(); } catch (e) { fail(e); }
