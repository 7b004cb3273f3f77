// Loopback TCP proxy for fault tests: forwards until told to freeze (half-open), cut, drop WebSocket frames or drop HTTP answers.
import net from 'node:net';

/** A server→client WebSocket text frame's payload; return true to drop the frame. */
export type FrameFilter = (payload: string) => boolean;

export interface ProxyConn {
  readonly id: number;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  /** Nothing is forwarded in either direction; bytes that arrive are discarded, as on a dead link. */
  frozen: boolean;
  /** When the server side closed (ms since epoch); 0 while it is open. */
  upstreamClosedAt: number;
  /** The connection upgraded to a WebSocket (server answered 101). */
  websocket: boolean;
}

export class TcpProxy {
  readonly #server: net.Server;
  #targetPort: number;
  readonly #conns = new Set<ProxyConn & { parse: (chunk: Buffer) => void }>();
  #nextId = 1;
  #filter: FrameFilter | undefined;
  /** New connections start frozen (a link that is down before anyone notices). */
  freezeNew = false;
  /** Cuts the connection when the next N HTTP answers start to arrive: the server did the work, the client never hears. */
  dropResponses = 0;
  readonly port: number;

  private constructor(server: net.Server, port: number, targetPort: number) {
    this.#server = server;
    this.port = port;
    this.#targetPort = targetPort;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const proxy = new TcpProxy(server, port, targetPort);
    server.on('connection', (client) => proxy.#accept(client));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where new connections go (a restarted server on another port). */
  set targetPort(port: number) {
    this.#targetPort = port;
  }

  /** Drops server→client WebSocket text frames the filter picks (undefined: forward everything). */
  set filter(f: FrameFilter | undefined) {
    this.#filter = f;
  }

  connections(): ProxyConn[] {
    return [...this.#conns];
  }

  websockets(): ProxyConn[] {
    return this.connections().filter((c) => c.websocket && !c.client.destroyed);
  }

  freeze(conn?: ProxyConn): void {
    for (const c of conn ? [conn] : this.#conns) c.frozen = true;
  }

  /** Destroys both sockets: the client sees the connection drop (1006), the server a reset. */
  cut(conn?: ProxyConn): void {
    for (const c of conn ? [conn] : [...this.#conns]) {
      c.client.destroy();
      c.upstream.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    const upstream = net.connect(this.#targetPort, '127.0.0.1');
    const conn = {
      id: this.#nextId++,
      client,
      upstream,
      frozen: this.freezeNew,
      upstreamClosedAt: 0,
      websocket: false,
      parse: (_chunk: Buffer) => {},
    };
    conn.parse = this.#serverToClient(conn);
    this.#conns.add(conn);
    client.on('data', (d) => {
      if (!conn.frozen && !upstream.destroyed) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (conn.frozen) return;
      if (
        this.dropResponses > 0 &&
        !conn.websocket &&
        /^HTTP\/1\.1 [2-5]\d\d /.test(d.toString('latin1', 0, 16))
      ) {
        this.dropResponses--;
        this.cut(conn);
        return;
      }
      conn.parse(d);
    });
    // While frozen a close does not travel: that is what makes the link half-open.
    client.on('close', () => {
      if (!conn.frozen) upstream.destroy();
      this.#conns.delete(conn);
    });
    upstream.on('close', () => {
      conn.upstreamClosedAt = Date.now();
      if (!conn.frozen) client.destroy();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
  }

  /** Passes HTTP through; after a 101, forwards WebSocket frames one by one so the filter can drop some. */
  #serverToClient(conn: ProxyConn): (chunk: Buffer) => void {
    let buf = Buffer.alloc(0);
    let headersDone = false;
    return (chunk) => {
      if (!this.#filter && !conn.websocket && headersDone) {
        conn.client.write(chunk);
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      if (!headersDone) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end + 4);
        headersDone = true;
        conn.websocket = / 101 /.test(head.toString('latin1').split('\r\n')[0] ?? '');
        conn.client.write(head);
        buf = buf.subarray(end + 4);
        if (!conn.websocket) {
          if (buf.length > 0) conn.client.write(buf);
          buf = Buffer.alloc(0);
          return;
        }
      }
      if (!conn.websocket) {
        conn.client.write(buf);
        buf = Buffer.alloc(0);
        return;
      }
      // RFC 6455 framing; server frames are unmasked. Forward whole frames, dropping the filtered ones.
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf[1]! & 0x80) off += 4;
        if (buf.length < off + len) return;
        const frame = buf.subarray(0, off + len);
        buf = buf.subarray(off + len);
        const drop = opcode === 1 && this.#filter?.(frame.subarray(off).toString('utf8')) === true;
        if (!drop) conn.client.write(frame);
      }
    };
  }
}

/** A free loopback port (for a server that must come back on the same port after a crash). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
