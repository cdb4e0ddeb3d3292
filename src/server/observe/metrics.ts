import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { scryptSlots } from '../auth/password-hash.js';
import type { LoginResult, RefusalReason, ServerObserver, TransferRecord } from './observer.js';

const DIRECTION = { send: 'download', receive: 'upload', list: 'list' } as const;

/**
 * The server's figures in Prometheus form, in a registry of their own (two servers in one process
 * do not mix), with the process's own (memory, CPU, open fds, event-loop lag) beside them.
 */
export class PrometheusMetrics implements ServerObserver {
  readonly registry = new Registry();
  readonly #sessions = new Gauge({
    name: 'ftpkitd_sessions',
    help: 'Control connections open now.',
    registers: [this.registry],
  });
  readonly #sessionsTotal = new Counter({
    name: 'ftpkitd_sessions_total',
    help: 'Control connections accepted.',
    registers: [this.registry],
  });
  readonly #refused = new Counter({
    name: 'ftpkitd_connections_refused_total',
    help: 'Connections turned away with 421 before the greeting, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #logins = new Counter({
    name: 'ftpkitd_logins_total',
    help: 'Login attempts by result: ok, failed (wrong user or password), banned (refused unheard).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly #bans = new Counter({
    name: 'ftpkitd_bans_total',
    help: 'Bans started, by scope: an address, or an account guessed at from many addresses.',
    labelNames: ['scope'],
    registers: [this.registry],
  });
  readonly #transfers = new Counter({
    name: 'ftpkitd_transfers_total',
    help: 'Transfers ended, by direction (download, upload, list), data mode and result (ok, failed, aborted).',
    labelNames: ['direction', 'mode', 'result'],
    registers: [this.registry],
  });
  readonly #bytes = new Counter({
    name: 'ftpkitd_transfer_bytes_total',
    help: 'Bytes over data connections, by direction and data mode.',
    labelNames: ['direction', 'mode'],
    registers: [this.registry],
  });
  readonly #replies = new Counter({
    name: 'ftpkitd_replies_total',
    help: 'Replies sent on control connections, by code.',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly #dataSetup = new Histogram({
    name: 'ftpkitd_data_connection_setup_seconds',
    help: 'Time from a transfer command to its data connection standing, by data mode.',
    labelNames: ['mode'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
    registers: [this.registry],
  });
  /** A reply counter per code, made once: a label lookup per reply would cost a hash each time. */
  readonly #replyCounters = new Map<number, { inc(): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    registerHashMetrics(this.registry);
  }

  sessionOpened(): void {
    this.#sessions.inc();
    this.#sessionsTotal.inc();
  }

  sessionClosed(): void {
    this.#sessions.dec();
  }

  connectionRefused(reason: RefusalReason): void {
    this.#refused.inc({ reason });
  }

  login(result: LoginResult): void {
    this.#logins.inc({ result });
  }

  banned(scope: 'address' | 'account'): void {
    this.#bans.inc({ scope });
  }

  reply(code: number): void {
    let counter = this.#replyCounters.get(code);
    if (counter === undefined) {
      counter = this.#replies.labels(String(code));
      this.#replyCounters.set(code, counter);
    }
    counter.inc();
  }

  dataConnected(mode: 'active' | 'passive', ms: number): void {
    this.#dataSetup.observe({ mode }, ms / 1000);
  }

  transfer(record: TransferRecord): void {
    const direction = DIRECTION[record.direction];
    const result = record.ok ? 'ok' : record.aborted ? 'aborted' : 'failed';
    this.#transfers.inc({ direction, mode: record.mode, result });
    if (record.bytes > 0) this.#bytes.inc({ direction, mode: record.mode }, record.bytes);
  }

  /** The exposition text, as GET /metrics serves it. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The process's password hashing (scrypt), read when scraped: how much of it logins cause, and a
 * queue that grows when first logins come faster than --max-hash-checks can serve them.
 */
function registerHashMetrics(registry: Registry): void {
  let counted = 0;
  // Each registers itself with the registry, which keeps it.
  new Counter({
    name: 'ftpkitd_password_hashes_total',
    help: 'scrypt computations run: password checks of logins (a cached password needs none) and hashes made.',
    registers: [registry],
    collect() {
      this.inc(scryptSlots.started - counted);
      counted = scryptSlots.started;
    },
  });
  new Gauge({
    name: 'ftpkitd_password_hashes_running',
    help: 'scrypt computations running now (at most --max-hash-checks).',
    registers: [registry],
    collect() {
      this.set(scryptSlots.running);
    },
  });
  new Gauge({
    name: 'ftpkitd_password_hashes_waiting',
    help: 'Password checks waiting for a free slot.',
    registers: [registry],
    collect() {
      this.set(scryptSlots.waiting);
    },
  });
}
