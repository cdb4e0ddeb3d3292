import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusMetrics } from './metrics.js';

/** Where to serve metrics; host undefined listens on every address. */
export interface MetricsAddress {
  host: string | undefined;
  port: number;
}

/**
 * GET /metrics over HTTP for Prometheus to scrape; anything else is 404 or 405. Bounded like the
 * FTP side: few connections, short timeouts, no request body read.
 */
export class MetricsEndpoint {
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async listen(metrics: PrometheusMetrics, at: MetricsAddress): Promise<MetricsEndpoint> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found; try /metrics\n');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Use GET.\n');
        return;
      }
      metrics.text().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.contentType });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
        },
      );
    });
    server.maxConnections = 32;
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 5_000;
    server.listen({ host: at.host, port: at.port });
    try {
      await once(server, 'listening');
    } catch (err) {
      throw new Error(`cannot serve metrics on ${at.host ?? '*'}:${at.port}: ${(err as Error).message}`);
    }
    return new MetricsEndpoint(server);
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}
