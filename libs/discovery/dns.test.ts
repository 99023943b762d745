import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { DNSDiscoverer } from './dns.ts';

/** A tiny authoritative DNS server on loopback UDP: answers the records of `zone`, NXDOMAIN otherwise. */
type RR = { type: 'A'; ip: string } | { type: 'AAAA'; ip: string } | { type: 'SRV'; port: number; target: string };

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}

function rdata(rr: RR): Buffer {
  if (rr.type === 'A') return Buffer.from(rr.ip.split('.').map(Number));
  if (rr.type === 'AAAA') {
    const full = rr.ip.replace('::', ':' + '0:'.repeat(8 - rr.ip.split(':').filter((x) => x !== '').length)).replace(/^:|:$/g, '');
    return Buffer.from(full.split(':').flatMap((h) => { const v = parseInt(h || '0', 16); return [v >> 8, v & 0xff]; }));
  }
  const head = Buffer.alloc(6);
  head.writeUInt16BE(10, 0);
  head.writeUInt16BE(5, 2);
  head.writeUInt16BE(rr.port, 4);
  return Buffer.concat([head, encodeName(rr.target)]);
}

const TYPES: Record<number, RR['type']> = { 1: 'A', 28: 'AAAA', 33: 'SRV' };
const CODES = { A: 1, AAAA: 28, SRV: 33 };

function startDNS(zone: Map<string, RR[]>): Promise<{ socket: Socket; addr: string }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let p = 12;
    const labels: string[] = [];
    while (msg[p] !== 0) {
      labels.push(msg.subarray(p + 1, p + 1 + msg[p]!).toString());
      p += msg[p]! + 1;
    }
    const qEnd = p + 5;
    const qtype = msg.readUInt16BE(p + 1);
    const name = labels.join('.').toLowerCase();
    const answers = (zone.get(name) ?? []).filter((rr) => rr.type === TYPES[qtype]);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(zone.has(name) ? 0x8580 : 0x8583, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((rr) => {
      const d = rdata(rr);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0);
      fixed.writeUInt16BE(CODES[rr.type], 2);
      fixed.writeUInt16BE(1, 4);
      fixed.writeUInt32BE(30, 6);
      fixed.writeUInt16BE(d.length, 10);
      return Buffer.concat([fixed, d]);
    });
    socket.send(Buffer.concat([header, msg.subarray(12, qEnd), ...rrs]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({ socket, addr: `127.0.0.1:${socket.address().port}` })));
}

describe('dns_sd', () => {
  const zone = new Map<string, RR[]>([
    ['_metrics._tcp.example.test', [{ type: 'SRV', port: 9100, target: 'node-b.example.test.' }, { type: 'SRV', port: 9101, target: 'node-a.example.test.' }]],
    ['api.example.test', [{ type: 'A', ip: '10.0.0.2' }, { type: 'A', ip: '10.0.0.1' }, { type: 'AAAA', ip: 'fd00::1' }]],
  ]);
  let dns: { socket: Socket; addr: string };
  before(async () => (dns = await startDNS(zone)));
  after(() => dns.socket.close());

  it('turns SRV records into targets with Prometheus\' meta labels', async () => {
    const d = new DNSDiscoverer({ names: ['_metrics._tcp.example.test'], type: 'SRV', port: 0, refreshInterval: 30_000, servers: [dns.addr] });
    const g = await d.resolve('_metrics._tcp.example.test');
    assert.deepEqual(g.targets, [
      { __address__: 'node-a.example.test:9101', __meta_dns_srv_record_target: 'node-a.example.test', __meta_dns_srv_record_port: '9101', __meta_dns_name: '_metrics._tcp.example.test' },
      { __address__: 'node-b.example.test:9100', __meta_dns_srv_record_target: 'node-b.example.test', __meta_dns_srv_record_port: '9100', __meta_dns_name: '_metrics._tcp.example.test' },
    ]);
  });

  it('turns A and AAAA records into ip:port targets', async () => {
    const a = new DNSDiscoverer({ names: ['api.example.test'], type: 'A', port: 8080, refreshInterval: 30_000, servers: [dns.addr] });
    assert.deepEqual((await a.resolve('api.example.test')).targets.map((t) => t.__address__), ['10.0.0.1:8080', '10.0.0.2:8080']);
    const aaaa = new DNSDiscoverer({ names: ['api.example.test'], type: 'AAAA', port: 8080, refreshInterval: 30_000, servers: [dns.addr] });
    assert.deepEqual((await aaaa.resolve('api.example.test')).targets.map((t) => t.__address__), ['[fd00::1]:8080']);
  });

  it('reports a name that does not resolve and keeps the others', async () => {
    const errors: string[] = [];
    const d = new DNSDiscoverer({ names: ['api.example.test', 'missing.example.test'], type: 'A', port: 80, refreshInterval: 30_000, servers: [dns.addr], onError: (n) => errors.push(n) });
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10_000);
    let first: readonly { source: string }[] = [];
    for await (const gs of d.run(ctl.signal)) {
      first = gs;
      break;
    }
    clearTimeout(timer);
    ctl.abort();
    assert.deepEqual(first.map((g) => g.source), ['api.example.test']);
    assert.deepEqual(errors, ['missing.example.test']);
  });
});
