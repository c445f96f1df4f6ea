// Runs a random call sequence (commands.ts) on one loop kind and collects the
// rules it broke: a raw error from the binding, the protocol contract (peer.ts),
// a cancelled callback that ran, something that never settled at a clean end.
// Every wait is bounded on the loop's own clock (real or virtual), so a
// sequence that would hang fails instead. Browser-safe.
import type {
  ConfFuture,
  ConfLoop,
  ConfReader,
  ConfServer,
  ConfTransport,
  ConfWriter,
  Env,
  ErrorClass,
} from '../conformance/kit.js';
import { pause, portOf, ticks, track, until } from '../conformance/kit.js';
import type { Command, Ending, Side } from './commands.js';
import { Peer, type Behavior, type Witness } from './peer.js';

interface Conn {
  client: Peer;
  server: Peer | null;
  serverIndex: number;
}

interface Served {
  srv: ConfServer;
  peers: Peer[];
  closed: boolean;
}

interface Stream {
  reader: ConfReader;
  writer: ConfWriter;
}

/** How long (seconds of the loop's clock) a clean end may take to settle everything. */
const SETTLE_SECONDS = 10;

export class World implements Witness {
  readonly violations: string[] = [];
  /** What the sequence got to do (for the suites' coverage line). */
  readonly stats = { connections: 0, streams: 0, servers: 0 };
  private readonly servers: Served[] = [];
  private readonly streamServers: ConfServer[] = [];
  private readonly conns: Conn[] = [];
  private readonly streams: Stream[] = [];
  /** Promises a clean end must see settled (reads, drains, waitClosed). */
  private readonly pending: { what: string; state: { done: boolean; error?: unknown } }[] = [];
  /** Stream server handlers (each must finish at a clean end). */
  private handlers = 0;
  private handlersDone = 0;
  readonly RuntimeError: ErrorClass;
  private readonly loop: ConfLoop;

  constructor(
    private readonly env: Env,
    private readonly errorClasses: ErrorClass[],
  ) {
    this.RuntimeError = env.api.RuntimeError;
    this.loop = env.loop;
  }

  violation(what: string): void {
    this.violations.push(what);
  }

  isPackageError(e: unknown): boolean {
    return this.errorClasses.some((c) => e instanceof c);
  }

  attempt(label: string, fn: () => unknown): unknown {
    try {
      fn();
      return undefined;
    } catch (e) {
      this.checkError(label, e);
      return e;
    }
  }

  private checkError(label: string, e: unknown): void {
    if (!this.isPackageError(e)) {
      const name = e instanceof Error ? e.constructor.name : typeof e;
      this.violation(`${label} threw a raw ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Awaits `p`; a rejection must be a package error. */
  private async settle(label: string, p: PromiseLike<unknown>): Promise<unknown> {
    try {
      return await p;
    } catch (e) {
      this.checkError(label, e);
      return undefined;
    }
  }

  /** Keeps `p` for the clean end to check, without awaiting it now. */
  private watch(what: string, p: PromiseLike<unknown>): void {
    const state = track(p);
    this.pending.push({ what, state });
  }

  private transportOf(i: number, side: Side): ConfTransport | null {
    if (this.conns.length === 0) return null;
    const c = this.conns[i % this.conns.length];
    const peer = side === 'client' ? c.client : c.server;
    return peer?.transport ?? null;
  }

  async run(cmd: Command): Promise<void> {
    const loop = this.loop;
    const label = JSON.stringify(cmd);
    switch (cmd.op) {
      case 'server': {
        const peers: Peer[] = [];
        const index = this.servers.length;
        const srv = (await this.settle(
          label,
          this.env.serverLoop.createServer(
            () => {
              const p = new Peer(`server ${index} conn ${peers.length}`, cmd.behavior, this.env.serverLoop, this);
              peers.push(p);
              return p;
            },
            this.env.listenHost,
            0,
          ),
        )) as ConfServer | undefined;
        if (srv !== undefined) this.servers.push({ srv, peers, closed: false });
        this.stats.servers += 1;
        return;
      }
      case 'connect': {
        if (this.servers.length === 0) return;
        const serverIndex = cmd.server % this.servers.length;
        const served = this.servers[serverIndex];
        const port = served.closed ? null : portOf(served.srv);
        if (port === null) return; // a closed server has no sockets (asyncio: sockets is empty)
        const client = new Peer(`client ${this.conns.length}`, cmd.behavior, loop, this);
        const before = served.peers.length;
        const r = await this.settle(label, loop.createConnection(() => client, this.env.connectHost, port));
        if (r === undefined) return;
        const conn: Conn = { client, server: null, serverIndex };
        this.conns.push(conn);
        this.stats.connections += 1;
        // The server side is the next protocol its factory makes (connections to one server are accepted in order).
        await until(loop, 'the server side of a new connection', () => served.peers.length > before || served.closed, 5).catch(() => {});
        conn.server = served.peers[before] ?? null;
        return;
      }
      case 'write': {
        const t = this.transportOf(cmd.conn, cmd.side);
        if (t !== null) this.attempt(label, () => t.write(new Uint8Array(cmd.size).fill(0x61)));
        return;
      }
      case 'writelines': {
        const t = this.transportOf(cmd.conn, cmd.side);
        const parts = Array.from({ length: cmd.parts }, (_, i) => new Uint8Array(i + 1));
        if (t !== null) this.attempt(label, () => t.writelines(parts));
        return;
      }
      case 'writeEof':
      case 'close':
      case 'abort': {
        const t = this.transportOf(cmd.conn, cmd.side);
        if (t === null) return;
        if (cmd.op === 'writeEof' && !t.canWriteEof()) return;
        this.attempt(label, () => t[cmd.op]());
        if (cmd.thenWrite) this.attempt(`${label}: write after`, () => t.write(new Uint8Array(8)));
        return;
      }
      case 'reading': {
        const t = this.transportOf(cmd.conn, cmd.side);
        if (t === null) return;
        for (let i = 0; i < cmd.flips; i++) {
          this.attempt(label, () => (i % 2 === 0 ? t.pauseReading() : t.resumeReading()));
          this.attempt(`${label}: isReading`, () => t.isReading());
        }
        return;
      }
      case 'limits': {
        const t = this.transportOf(cmd.conn, cmd.side);
        if (t !== null) this.attempt(label, () => t.setWriteBufferLimits(cmd.high));
        return;
      }
      case 'serverCall':
        return this.serverCall(label, cmd.server, cmd.call);
      case 'streamServer': {
        const srv = (await this.settle(
          label,
          this.env.onServer(() =>
            this.env.api.startServer((reader, writer) => this.handler(reader, writer), this.env.listenHost, 0),
          ),
        )) as ConfServer | undefined;
        if (srv !== undefined) this.streamServers.push(srv);
        return;
      }
      case 'streamOpen': {
        if (this.streamServers.length === 0) return;
        const srv = this.streamServers[cmd.server % this.streamServers.length];
        if (srv.sockets.length === 0) return;
        const r = (await this.settle(label, this.env.api.openConnection(this.env.connectHost, portOf(srv)))) as
          | [ConfReader, ConfWriter]
          | undefined;
        if (r !== undefined) this.streams.push({ reader: r[0], writer: r[1] });
        this.stats.streams += 1;
        return;
      }
      case 'streamCall':
        return this.streamCall(label, cmd.stream, cmd.call, cmd.size);
      case 'future':
        return this.futureCall(label, cmd.call);
      case 'handle':
        return this.handle(label, cmd.delay, cmd.cancel);
      case 'closeOwnLoop': {
        // asyncio: close() inside a callback of the running loop raises RuntimeError.
        const done = loop.createFuture<unknown>();
        loop.callSoon(() => {
          let err: unknown = null;
          try {
            loop.close();
          } catch (e) {
            err = e;
          }
          done.setResult(err);
        });
        const err = await done;
        if (!(err instanceof this.RuntimeError)) this.violation(`${label}: close() in a callback gave ${String(err)}, not RuntimeError`);
        if (loop.isClosed()) this.violation(`${label}: the running loop closed`);
        return;
      }
      case 'wait':
        await ticks(loop, cmd.ticks);
        if (cmd.ms > 0) await pause(loop, cmd.ms / 1000);
        return;
    }
  }

  private async handler(reader: ConfReader, writer: ConfWriter): Promise<void> {
    this.handlers += 1;
    try {
      for (;;) {
        const data = await reader.read(4096);
        if (data.length === 0) break;
        writer.write(data);
        await writer.drain();
      }
    } catch (e) {
      this.checkError('stream server handler', e);
    } finally {
      this.attempt('stream server handler: close', () => writer.close());
      this.handlersDone += 1;
    }
  }

  private async serverCall(label: string, i: number, call: string): Promise<void> {
    if (this.servers.length === 0) return;
    const s = this.servers[i % this.servers.length];
    const { srv } = s;
    switch (call) {
      case 'close':
        this.attempt(label, () => srv.close());
        s.closed = true;
        if (srv.isServing()) this.violation(`${label}: still serving after close()`);
        return;
      case 'closeClients':
        this.attempt(label, () => srv.closeClients());
        return;
      case 'abortClients':
        this.attempt(label, () => srv.abortClients());
        return;
      case 'startServing':
        await this.settle(label, srv.startServing());
        return;
      case 'waitClosed':
        this.watch(`${label}: waitClosed`, srv.waitClosed());
        return;
      case 'serveForeverCancel': {
        if (s.closed) {
          await this.settle(label, srv.serveForever());
          return;
        }
        const p = srv.serveForever();
        await ticks(this.loop, 1);
        this.attempt(`${label}: cancel`, () => p.cancel());
        // Cancelling closes the server; the promise settles (cancelled) only
        // once the last connection is gone (asyncio: serve_forever awaits
        // wait_closed), so a clean end checks it.
        this.watch(label, p);
        s.closed = true;
        return;
      }
      default:
        this.attempt(label, () => srv.sockets.map((k) => k.getsockname()));
    }
  }

  private async streamCall(label: string, i: number, call: string, size: number): Promise<void> {
    if (this.streams.length === 0) return;
    const { reader, writer } = this.streams[i % this.streams.length];
    switch (call) {
      case 'write':
        this.attempt(label, () => writer.write(new Uint8Array(size).fill(0x0a)));
        return;
      case 'drain':
        this.watch(label, writer.drain());
        return;
      case 'read':
        this.watch(label, reader.read(size));
        return;
      case 'readline':
        this.watch(label, reader.readline());
        return;
      case 'readexactly':
        this.watch(label, reader.readexactly(size));
        return;
      case 'writeEof':
        if (writer.canWriteEof()) this.attempt(label, () => writer.writeEof());
        return;
      case 'close':
        this.attempt(label, () => writer.close());
        return;
      case 'waitClosed':
        this.watch(label, writer.waitClosed());
        return;
      default:
        this.attempt(label, () => writer.close());
        this.attempt(`${label}: write after close`, () => writer.write(new Uint8Array(4)));
    }
  }

  private async futureCall(label: string, call: string): Promise<void> {
    const { loop } = this;
    const { InvalidStateError, ValueError, CancelledError } = this.env.api;
    const f: ConfFuture<number> = loop.createFuture<number>();
    const expectError = (what: string, fn: () => unknown, cls: ErrorClass) => {
      const err = this.attempt(`${label}: ${what}`, fn);
      if (!(err instanceof cls)) this.violation(`${label}: ${what} gave ${String(err)}, not ${cls.name}`);
    };
    switch (call) {
      case 'resultOfPending':
        expectError('result() of a pending future', () => f.result(), InvalidStateError);
        f.cancel();
        return;
      case 'setResultTwice':
        f.setResult(1);
        expectError('setResult twice', () => f.setResult(2), InvalidStateError);
        return;
      case 'cancelThenSet':
        f.cancel('why');
        expectError('setResult after cancel', () => f.setResult(1), InvalidStateError);
        expectError('result() after cancel', () => f.result(), CancelledError);
        return;
      case 'exceptionThenResult':
        // ErrorClass is abstract in the kit's typing; the package's ValueError is constructible.
        f.setException(new (ValueError as unknown as new (message: string) => Error)('on purpose'));
        expectError('result() of a failed future', () => f.result(), ValueError);
        this.attempt(label, () => f.exception());
        return;
      case 'doneCallbackRemoved': {
        let ran = false;
        const cb = () => {
          ran = true;
        };
        f.addDoneCallback(cb);
        if (f.removeDoneCallback(cb) !== 1) this.violation(`${label}: removeDoneCallback did not find it`);
        f.setResult(1);
        await ticks(loop, 2);
        if (ran) this.violation(`${label}: a removed done callback ran`);
        return;
      }
      default: {
        const never = loop.createFuture<void>();
        const task = loop.createTask(async () => {
          await never;
        });
        await ticks(loop, 1);
        task.cancel();
        await this.settle(label, task).catch(() => {});
        if (!task.cancelled()) this.violation(`${label}: task not cancelled`);
      }
    }
  }

  private async handle(label: string, delay: number | null, cancel: string): Promise<void> {
    const { loop } = this;
    let ran = 0;
    let cancelledBeforeRun = false;
    const cb = () => {
      ran += 1;
      if (cancelledBeforeRun) this.violation(`${label}: a cancelled callback ran`);
    };
    const h = delay === null ? loop.callSoon(cb) : loop.callLater(delay, cb);
    if (cancel === 'before' || cancel === 'twice') {
      h.cancel();
      cancelledBeforeRun = true;
      if (cancel === 'twice') h.cancel();
      if (!h.cancelled()) this.violation(`${label}: cancelled() false after cancel()`);
    }
    await ticks(loop, 2);
    if (delay !== null && delay > 0) await pause(loop, delay * 2);
    if (cancel === 'after') {
      this.attempt(`${label}: cancel after it ran`, () => h.cancel());
    }
    if (ran > 1) this.violation(`${label}: ran ${ran} times`);
  }

  /** Ends the sequence as `ending` says (the part that runs inside the loop's task). */
  async end(ending: Ending): Promise<void> {
    const { loop } = this;
    if (ending === 'stop') {
      loop.callSoon(() => loop.stop());
      await pause(loop, 60); // never settles: the loop stops first
      return;
    }
    if (ending === 'abandon') return;
    for (const c of this.conns) {
      for (const p of [c.client, c.server]) {
        if (p?.transport) {
          const t = p.transport;
          this.attempt('clean end: close', () => t.close());
        }
      }
    }
    for (const s of this.servers) {
      this.attempt('clean end: server close', () => s.srv.close());
      this.attempt('clean end: closeClients', () => s.srv.closeClients());
    }
    for (const st of this.streams) this.attempt('clean end: writer close', () => st.writer.close());
    for (const srv of this.streamServers) {
      this.attempt('clean end: stream server close', () => srv.close());
      this.attempt('clean end: stream server closeClients', () => srv.closeClients());
    }
    const peers = this.peers();
    const settled = () =>
      peers.every((p) => p.lost || p.events.length === 0) &&
      this.pending.every((x) => x.state.done) &&
      this.handlersDone === this.handlers;
    await until(loop, 'everything to settle at a clean end', settled, SETTLE_SECONDS).catch(() => {});
    for (const p of peers) {
      if (p.events.length > 0 && !p.lost) this.violation(`${p.label}: no connectionLost at a clean end (${p.events.join(',')})`);
    }
    for (const x of this.pending) {
      if (!x.state.done) this.violation(`never settled: ${x.what}`);
      else if (x.state.error !== undefined) this.checkError(x.what, x.state.error);
    }
    if (this.handlersDone !== this.handlers) this.violation(`${this.handlers - this.handlersDone} stream handlers never finished`);
    for (const s of [...this.servers.map((x) => x.srv), ...this.streamServers]) {
      await this.settle('clean end: waitClosed', s.waitClosed());
    }
  }

  /** Every protocol the sequence made (client and server sides). */
  peers(): Peer[] {
    const out: Peer[] = this.conns.map((c) => c.client);
    for (const s of this.servers) out.push(...s.peers);
    return out;
  }

  /** Checks that hold after the loop is closed, whatever the ending: the contract, for every protocol. */
  checkAfterClose(): void {
    for (const p of this.peers()) {
      if (p.events.filter((e) => e === 'lost').length > 1) this.violation(`${p.label}: connectionLost more than once`);
    }
  }
}

/** The server-side behavior a Peer may be given (re-exported for the suites). */
export type { Behavior };
