/**
 * A loopback TCP proxy that can be switched off and on, to simulate a storage (or any TCP) outage:
 * while it is down nothing listens on its port, so clients fail fast with ECONNREFUSED instead of
 * hanging, and connections open at that moment are cut.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  private listeningPort = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  /**
   * Starts proxying 127.0.0.1:<port> (0 by default: a free port) to `target`.
   *
   * @example
   * const proxy = await TcpProxy.start({ host: '127.0.0.1', port: azurite.port });
   * const cs = tableConnectionString(`http://127.0.0.1:${proxy.port}/devstoreaccount1`);
   * await proxy.down(); // storage outage
   * await proxy.up();
   */
  static async start(
    target: { host: string; port: number },
    options: { port?: number } = {},
  ): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    const server = await proxy.listen(options.port ?? 0);
    proxy.server = server;
    proxy.listeningPort = (server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** The port clients connect to on 127.0.0.1; it stays the same across `down()`/`up()`. */
  get port(): number {
    return this.listeningPort;
  }

  /** True while the proxy accepts connections. */
  get isUp(): boolean {
    return this.server !== undefined;
  }

  /** Stops listening and destroys open connections: new clients get ECONNREFUSED. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (this.closed) throw new Error('TcpProxy is closed');
    if (this.server) return;
    this.server = await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.down();
  }

  private listen(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((client) => this.pipe(client));
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      // Either side failing ends both: the client sees a reset connection, like a real outage.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
