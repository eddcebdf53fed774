/**
 * A DNS server of the test's own (UDP on 127.0.0.1), standing in for a customer's nameserver: names answered with
 * an IPv4 address, names it never answers (a nameserver that hangs), everything else NXDOMAIN. Point a resolver at
 * `server` (`127.0.0.1:<port>`). Only what a stub resolver's A/AAAA queries need (RFC 1035 §4.1).
 */
import dgram from 'node:dgram';

export interface FakeDns {
  /** `127.0.0.1:<port>`, for `Resolver.setServers` or a service's DNS servers setting. */
  server: string;
  /** Queries received per name (lower case), answered or not. */
  queries: Map<string, number>;
  close(): Promise<void>;
}

export interface FakeDnsZone {
  /** name → IPv4 address it resolves to (A); AAAA queries get an empty answer. */
  answers?: Record<string, string>;
  /** Names (and their subdomains) whose queries are never answered. */
  silent?: string[];
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i] !== undefined && msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('latin1'));
    i += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

export async function startFakeDns(zone: FakeDnsZone): Promise<FakeDns> {
  const socket = dgram.createSocket('udp4');
  const queries = new Map<string, number>();
  const silent = (name: string) => (zone.silent ?? []).some((s) => name === s || name.endsWith(`.${s}`));

  socket.on('message', (msg, from) => {
    if (msg.length < 12) return;
    const { name, end } = readName(msg, 12);
    const qtype = msg.readUInt16BE(end);
    queries.set(name, (queries.get(name) ?? 0) + 1);
    if (silent(name)) return; // the nameserver that never answers
    const address = zone.answers?.[name];
    const question = msg.subarray(12, end + 4);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    const rcode = address === undefined ? 3 : 0; // NXDOMAIN or NOERROR
    header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired + available
    header.writeUInt16BE(1, 4); // one question
    const answer: Buffer[] = [];
    if (address !== undefined && qtype === 1) {
      header.writeUInt16BE(1, 6); // one answer
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6); // TTL, s
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, k) => rr.writeUInt8(Number(octet), 12 + k));
      answer.push(rr);
    }
    socket.send(Buffer.concat([header, question, ...answer]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
