/**
 * A TCP proxy between the app and the real PostgreSQL server that a test switches between faults, to prove
 * what the app does when its database goes away. Modes:
 *
 * - `pass`: bytes flow both ways (the normal case).
 * - `refuse`: the port stops listening (ECONNREFUSED, a stopped server or a wrong host) and every open
 *   connection is reset.
 * - `drop`: the link is cut: open connections are reset, new ones are accepted and reset at once (a server
 *   that crashes, a NAT that forgot the flow), including a query in flight.
 * - `hold`: the link goes silent: connections stay open and new ones are accepted, but nothing is forwarded
 *   either way (a network partition, a frozen server). The hardest case: only the app's own timeouts end it.
 *
 * Leaving `hold` resets the connections it silenced (their protocol state is unknown by then), as a partition
 * that outlasts TCP's patience would.
 *
 * @example
 * const proxy = await startFaultProxy();
 * const url = proxy.databaseUrl(database.url); // the same database, through the proxy
 * await proxy.setMode('hold');
 */
import { createServer } from 'node:http';
import net from 'node:net';

export type FaultMode = 'pass' | 'refuse' | 'drop' | 'hold';

export interface FaultProxy {
  readonly port: number;
  readonly mode: FaultMode;
  /** Client connections accepted since the proxy started (a test's view of reconnects). */
  readonly accepted: number;
  /** `url` (a postgresql:// URL of the target server) with its host and port replaced by the proxy's. */
  databaseUrl(url: string): string;
  setMode(mode: FaultMode): Promise<void>;
  close(): Promise<void>;
}

interface Link {
  client: net.Socket;
  server?: net.Socket;
  held: boolean;
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `target` (default: the host and port of TEST_DATABASE_URL). */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const links = new Set<Link>();
  let mode: FaultMode = 'pass';
  let accepted = 0;
  let port = 0;

  const server = net.createServer((client) => {
    accepted++;
    const link: Link = { client, held: false };
    links.add(link);
    client.on('error', () => {});
    client.on('close', () => {
      links.delete(link);
      link.server?.destroy();
    });
    if (mode === 'drop') return reset(link);
    if (mode === 'hold') {
      // Accepted, never answered: the client sends its startup message into the void.
      link.held = true;
      client.pause();
      return;
    }
    connect(link);
  });

  function connect(link: Link): void {
    const upstream = net.connect(target.port, target.host);
    link.server = upstream;
    upstream.on('error', () => link.client.destroy());
    upstream.on('close', () => link.client.destroy());
    link.client.pipe(upstream);
    upstream.pipe(link.client);
  }

  function reset(link: Link): void {
    link.server?.resetAndDestroy();
    link.client.resetAndDestroy();
    links.delete(link);
  }

  function hold(link: Link): void {
    link.held = true;
    link.client.unpipe();
    link.server?.unpipe();
    link.client.pause();
    link.server?.pause();
  }

  async function listen(onPort: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(onPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  port = await listen(0);

  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    databaseUrl(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    async setMode(next) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (previous === 'refuse') await listen(port);
      if (previous === 'hold') for (const link of [...links]) if (link.held) reset(link);
      if (next === 'refuse') {
        for (const link of [...links]) reset(link);
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      if (next === 'drop') for (const link of [...links]) reset(link);
      if (next === 'hold') for (const link of links) hold(link);
    },
    async close() {
      for (const link of [...links]) reset(link);
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface SilentServer {
  /** `http://127.0.0.1:<port><path>`. */
  url: string;
  close(): Promise<void>;
}

/** An HTTP server that accepts connections and requests and never answers: a key server that hangs. */
export async function startSilentServer(path = '/'): Promise<SilentServer> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}${path}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
