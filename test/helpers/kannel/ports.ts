// Free loopback ports for test servers that cannot be started on port 0.
import fs from 'node:fs';
import net from 'node:net';

/**
 * Free loopback ports for servers that are started later (Kannel binds its own; Qun's dlr-url must be
 * known before it listens). They come from below the kernel's ephemeral range: a port taken from that
 * range and released can meanwhile become the local end of any outgoing connection on this busy machine.
 * All candidates are held open until every one is chosen, so none is handed out twice.
 */
export async function freePorts(n: number): Promise<number[]> {
  const ephemeralLow = Number(
    /^(\d+)/.exec(readOr('/proc/sys/net/ipv4/ip_local_port_range', '32768'))?.[1] ?? 32768,
  );
  const low = 10_000;
  const high = Math.max(low + 1000, Math.min(ephemeralLow, 65_536)) - 1;
  const held: net.Server[] = [];
  try {
    while (held.length < n) {
      const port = low + Math.floor(Math.random() * (high - low));
      const s = await listen(port).catch(() => undefined);
      if (s) held.push(s);
    }
    return held.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}
