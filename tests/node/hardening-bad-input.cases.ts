// The bad-input table of tests/node/hardening-bad-input.test.ts: every public
// function and method of the package fed wrong types, out-of-range numbers,
// NaN, huge values and buffers, closed loops and closed transports. Each row
// says what must happen: a given error class whose message names the call
// and the argument (or asyncio's own text, where asyncio has one), or that
// the input is accepted (negative delays are: asyncio runs them at once).
// After every row the loop must still iterate; at the end it must still
// echo over a connection, and stdin/stdout must still be open.
//
// It imports only 'evloop' and node builtins: the test also runs it, as a
// whole, in a child `node` (transpiled), to check that no input makes the
// process abort or print a Rust panic.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as evloop from 'evloop';
import {
  AbstractEventLoopPolicy,
  ConnectionRefusedError,
  FileNotFoundError,
  Future,
  IncompleteReadError,
  InvalidStateError,
  LoopRemote,
  NotImplementedError,
  OSError,
  ProactorEventLoop,
  Runner,
  RuntimeError,
  SelectorEventLoop,
  SO_RCVBUF,
  SOL_SOCKET,
  ValueError,
  getRunningLoop,
  openConnection,
  openUnixConnection,
  run,
  setEventLoop,
  setEventLoopPolicy,
  sleep,
  startServer,
  startUnixServer,
  type EventLoop,
  type Server,
  type StreamReader,
  type StreamWriter,
  type Transport,
  type TransportSocket,
} from 'evloop';

type ErrorClass = abstract new (...args: never[]) => Error;
type Loose = (...args: unknown[]) => unknown;
/** Any method of any object, called with anything. */
function loose(obj: object, method: string): Loose {
  const fn = (obj as Record<string, unknown>)[method];
  if (typeof fn !== 'function') throw new Error(`no method ${method}`);
  return (...args: unknown[]) => (fn as Loose).apply(obj, args);
}

/** What a row needs: a running loop with live and closed objects. */
export interface World {
  loop: EventLoop;
  /** A second loop, not running. */
  idle: EventLoop;
  closedLoop: EventLoop;
  server: Server;
  closedServer: Server;
  port: number;
  transport: Transport;
  /** The server side of `transport`: never reads, so writes to it pile up. */
  peer: () => Transport;
  closedTransport: Transport;
  eofTransport: Transport;
  sock: TransportSocket;
  /** An open regular file (not a socket). */
  fileFd: number;
  reader: StreamReader;
  writer: StreamWriter;
  tmp: string;
}

export interface Case {
  group: string;
  /** The call, as a user writes it. */
  call: string;
  run: (w: World) => unknown;
  /** The error class the call must throw (or its promise reject with); absent: it must succeed. */
  throws?: ErrorClass;
  /** What the message must match. */
  message?: RegExp;
  /** A result to check (accepted inputs). */
  check?: (value: unknown, w: World) => string | undefined;
  /** Do not await the result even if it is a thenable (a Future that stays pending). */
  sync?: boolean;
  /** Runs while no loop runs (stream functions, run(), sleep()). */
  idle?: boolean;
}

const WRONG_TYPES: [string, unknown][] = [
  ["'x'", 'x'],
  ['{}', {}],
  ['[]', []],
  ['1n', 1n],
  ["Symbol('s')", Symbol('s')],
  ['true', true],
  ['() => {}', () => {}],
];
const NOT_CALLABLE: [string, unknown][] = [
  ['1', 1],
  ["'f'", 'f'],
  ['{}', {}],
  ['null', null],
  ['undefined', undefined],
  ["Symbol('s')", Symbol('s')],
  ['Promise.resolve()', Promise.resolve()],
];
const BAD_INTEGERS: [string, number][] = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['1.5', 1.5],
  ['2 ** 60', 2 ** 60],
];
const cb = () => {};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `call(): name must ...`, the package's argument errors. */
const names = (call: string, arg: string) => new RegExp(`^${esc(call)}\\(\\): ${esc(arg)} must`);

export function cases(): Case[] {
  const rows: Case[] = [];
  const add = (group: string, c: Omit<Case, 'group'>) => rows.push({ group, ...c });
  /** Rows for an integer argument: wrong types, null, NaN, fractions, out of range. */
  const integerArg = (
    group: string,
    call: string,
    arg: string,
    run: (w: World, v: unknown) => unknown,
    opts: { nullOk?: boolean; range?: [string, number][] } = {},
  ) => {
    for (const [label, v] of WRONG_TYPES) {
      add(group, { call: `${call}(${arg} = ${label})`, run: (w) => run(w, v), throws: TypeError, message: names(call, arg) });
    }
    if (!opts.nullOk) {
      add(group, { call: `${call}(${arg} = null)`, run: (w) => run(w, null), throws: TypeError, message: names(call, arg) });
    }
    for (const [label, v] of [...BAD_INTEGERS, ...(opts.range ?? [])]) {
      add(group, { call: `${call}(${arg} = ${label})`, run: (w) => run(w, v), throws: RangeError, message: names(call, arg) });
    }
  };

  // ------------------------------------------------------------ loop: scheduling
  for (const method of ['callSoon', 'callSoonThreadsafe'] as const) {
    for (const [label, v] of NOT_CALLABLE) {
      add('loop scheduling', {
        call: `loop.${method}(${label})`,
        run: (w) => loose(w.loop, method)(v),
        throws: TypeError,
        message: new RegExp(`^a callable object was expected by ${method}\\(\\)`),
      });
    }
  }
  for (const [method, arg, none] of [
    ['callLater', 'delay', 'delay must not be None'],
    ['callAt', 'when', 'when cannot be None'],
  ] as const) {
    for (const [label, v] of WRONG_TYPES) {
      add('loop scheduling', {
        call: `loop.${method}(${label}, cb)`,
        run: (w) => loose(w.loop, method)(v, cb),
        throws: TypeError,
        message: new RegExp(`^${method}\\(\\): ${arg} must be a number, got`),
      });
    }
    add('loop scheduling', { call: `loop.${method}(NaN, cb)`, run: (w) => loose(w.loop, method)(NaN, cb), throws: RangeError, message: new RegExp(`^${method}\\(\\): ${arg} must not be NaN`) });
    for (const v of [null, undefined]) {
      add('loop scheduling', { call: `loop.${method}(${v}, cb)`, run: (w) => loose(w.loop, method)(v, cb), throws: TypeError, message: new RegExp(`^${none}$`) });
    }
    for (const [label, v] of NOT_CALLABLE) {
      add('loop scheduling', {
        call: `loop.${method}(1, ${label})`,
        run: (w) => loose(w.loop, method)(1, v),
        throws: TypeError,
        message: new RegExp(`^a callable object was expected by ${method}\\(\\)`),
      });
    }
    // Accepted, as asyncio accepts them: due now, or never.
    for (const [label, v] of [['-1', -1], ['-1e308', -1e308], ['-Infinity', -Infinity], ['Infinity', Infinity], ['1e308', 1e308], ['0', 0]] as const) {
      add('loop scheduling', {
        call: `loop.${method}(${label}, cb)`,
        run: (w) => (loose(w.loop, method)(v, cb) as { cancel(): void; when(): number }),
        check: (h) => {
          const handle = h as { cancel(): void; when(): number };
          const when = handle.when();
          handle.cancel();
          return typeof when === 'number' && !Number.isNaN(when) ? undefined : `when() is ${when}`;
        },
      });
    }
  }
  add('loop scheduling', {
    call: 'loop.callLater(-1, cb) runs in the next iteration',
    run: async (w) => {
      let ran = false;
      w.loop.callLater(-1, () => {
        ran = true;
      });
      await sleep(0);
      await sleep(0);
      return ran;
    },
    check: (ran) => (ran === true ? undefined : 'did not run'),
  });
  add('loop scheduling', {
    call: 'loop.callSoon(cb, ...50000 args)',
    run: (w) => Reflect.apply(w.loop.callSoon, w.loop, [cb, ...new Array<number>(50_000).fill(1)]),
  });

  // ------------------------------------------------------------ loop: fds
  for (const method of ['addReader', 'addWriter', 'removeReader', 'removeWriter'] as const) {
    const call = (w: World, fd: unknown) =>
      method.startsWith('add') ? loose(w.loop, method)(fd, cb) : loose(w.loop, method)(fd);
    for (const [label, v] of [...WRONG_TYPES.filter(([l]) => l !== '{}'), ['null', null], ['undefined', undefined], ['{}', {}]] as [string, unknown][]) {
      add('loop fds', { call: `loop.${method}(${label})`, run: (w) => call(w, v), throws: TypeError, message: names(method, 'fd') });
    }
    add('loop fds', { call: `loop.${method}(-1)`, run: (w) => call(w, -1), throws: ValueError, message: /Invalid file descriptor: -1/ });
    for (const [label, v] of BAD_INTEGERS) {
      add('loop fds', { call: `loop.${method}(${label})`, run: (w) => call(w, v), throws: ValueError, message: new RegExp(`^${method}\\(\\): Invalid file descriptor`) });
    }
    add('loop fds', { call: `loop.${method}({ fileno: () => 'x' })`, run: (w) => call(w, { fileno: () => 'x' }), throws: ValueError, message: /Invalid file object/ });
  }
  add('loop fds', { call: 'loop.addReader(fd that is not open)', run: (w) => w.loop.addReader(1_000_000, cb), throws: OSError, message: /Errno 9|Bad file descriptor/ });
  add('loop fds', { call: 'loop.addReader(0, 5)', run: (w) => loose(w.loop, 'addReader')(0, 5), throws: TypeError, message: /^a callable object was expected by addReader\(\)/ });
  add('loop fds', { call: 'loop.removeReader(not registered)', run: (w) => w.loop.removeReader(1_000_000), check: (v) => (v === false ? undefined : `returned ${String(v)}`) });

  // ------------------------------------------------------------ loop: running, tasks, settings
  add('loop state', { call: 'loop.runForever() while running', run: (w) => w.loop.runForever(), throws: RuntimeError, message: /^This event loop is already running$/ });
  add('loop state', { call: 'loop.runUntilComplete(p) while running', run: (w) => w.loop.runUntilComplete(Promise.resolve()), throws: RuntimeError, message: /already running/ });
  add('loop state', { call: 'loop.close() while running', run: (w) => w.loop.close(), throws: RuntimeError, message: /^Cannot close a running event loop$/ });
  for (const [label, v] of [['5', 5], ["'x'", 'x'], ['null', null], ['{}', {}]] as [string, unknown][]) {
    add('loop state', {
      call: `idle.runUntilComplete(${label})`,
      run: (w) => loose(w.idle, 'runUntilComplete')(v),
      throws: TypeError,
      message: /^An asyncio\.Future, a coroutine or an awaitable is required$/,
    });
    add('loop state', { call: `loop.createTask(${label})`, run: (w) => loose(w.loop, 'createTask')(v), throws: TypeError, message: /^a coroutine was expected, got/ });
  }
  add('loop state', {
    call: 'idle.runUntilComplete(future of another loop)',
    run: (w) => w.idle.runUntilComplete(w.loop.createFuture()),
    throws: ValueError,
    message: /different loop/,
  });
  add('loop state', { call: 'loop.createTask(fn, 5)', run: (w) => loose(w.loop, 'createTask')(async () => 1, 5), throws: TypeError, message: names('createTask', 'options') });
  add('loop state', { call: 'loop.createTask(fn, { name: 3 })', run: (w) => loose(w.loop, 'createTask')(async () => 1, { name: 3 }), throws: TypeError, message: names('Task', 'name') });
  add('loop state', { call: "loop.createTask(fn, { name: 'x' * 1e6 })", run: (w) => w.loop.createTask(async () => 1, { name: 'x'.repeat(1_000_000) }) });
  for (const [label, v] of NOT_CALLABLE.filter(([l]) => l !== 'null')) {
    add('loop state', { call: `loop.setExceptionHandler(${label})`, run: (w) => loose(w.loop, 'setExceptionHandler')(v), throws: TypeError, message: /^A callable object or None is expected, got/ });
  }
  for (const [label, v] of [["'ctx'", 'ctx'], ['null', null], ['5', 5]] as [string, unknown][]) {
    add('loop state', { call: `loop.callExceptionHandler(${label})`, run: (w) => loose(w.loop, 'callExceptionHandler')(v), throws: TypeError, message: names('callExceptionHandler', 'context') });
    add('loop state', { call: `loop.defaultExceptionHandler(${label})`, run: (w) => loose(w.loop, 'defaultExceptionHandler')(v), throws: TypeError, message: names('defaultExceptionHandler', 'context') });
  }
  for (const [label, v] of [['1', 1], ["'yes'", 'yes'], ['null', null]] as [string, unknown][]) {
    add('loop state', { call: `loop.setDebug(${label})`, run: (w) => loose(w.loop, 'setDebug')(v), throws: TypeError, message: names('setDebug', 'enabled') });
  }
  add('loop state', { call: "loop.slowCallbackDuration = '1'", run: (w) => Object.assign(w.loop, { slowCallbackDuration: '1' }), throws: TypeError, message: /^slowCallbackDuration must be a number/ });
  for (const [label, v] of [['NaN', NaN], ['-1', -1]] as const) {
    add('loop state', { call: `loop.slowCallbackDuration = ${label}`, run: (w) => Object.assign(w.loop, { slowCallbackDuration: v }), throws: RangeError, message: /^slowCallbackDuration must be a non-negative number/ });
  }
  add('loop state', { call: 'loop.createRemote(5)', run: (w) => loose(w.loop, 'createRemote')(5), throws: TypeError, message: /createRemote\(\)/ });

  // ------------------------------------------------------------ closed loop
  const closedCalls: [string, (l: EventLoop) => unknown][] = [
    ['callSoon(cb)', (l) => l.callSoon(cb)],
    ['callSoonThreadsafe(cb)', (l) => l.callSoonThreadsafe(cb)],
    ['callLater(1, cb)', (l) => l.callLater(1, cb)],
    ['callAt(1, cb)', (l) => l.callAt(1, cb)],
    ['addReader(0, cb)', (l) => l.addReader(0, cb)],
    ['addWriter(1, cb)', (l) => l.addWriter(1, cb)],
    ['createTask(fn)', (l) => l.createTask(async () => 1)],
    ['runForever()', (l) => l.runForever()],
    ['runUntilComplete(p)', (l) => l.runUntilComplete(Promise.resolve(1))],
    ["createServer(f, '127.0.0.1', 0)", (l) => l.createServer(() => ({}), '127.0.0.1', 0)],
    ["createConnection(f, '127.0.0.1', 1)", (l) => l.createConnection(() => ({}), '127.0.0.1', 1)],
    ['createUnixServer(f, path)', (l) => l.createUnixServer(() => ({}), path.join(os.tmpdir(), 'evloop-never.sock'))],
    ['createRemote()', (l) => l.createRemote()],
  ];
  for (const [label, fn] of closedCalls) {
    add('closed loop', { call: `closedLoop.${label}`, run: (w) => fn(w.closedLoop), throws: RuntimeError, message: /^Event loop is closed$/ });
  }
  for (const [label, fn, expect] of [
    ['removeReader(0)', (l: EventLoop) => l.removeReader(0), false],
    ['removeWriter(0)', (l: EventLoop) => l.removeWriter(0), false],
    ['stop()', (l: EventLoop) => l.stop(), undefined],
    ['close() again', (l: EventLoop) => l.close(), undefined],
    ['isClosed()', (l: EventLoop) => l.isClosed(), true],
    ['isRunning()', (l: EventLoop) => l.isRunning(), false],
  ] as [string, (l: EventLoop) => unknown, unknown][]) {
    add('closed loop', { call: `closedLoop.${label}`, run: (w) => fn(w.closedLoop), check: (v) => (v === expect ? undefined : `returned ${String(v)}`) });
  }
  add('closed loop', { call: 'closedLoop.createFuture() (allowed, as in asyncio)', run: (w) => w.closedLoop.createFuture(), sync: true });

  // ------------------------------------------------------------ Future and Task
  for (const [label, v] of [['5', 5], ["'loop'", 'loop'], ['null', null], ['{}', {}]] as [string, unknown][]) {
    add('Future', { call: `new Future(${label})`, run: () => new (Future as unknown as new (l: unknown) => unknown)(v), throws: TypeError, message: names('Future', 'loop') });
  }
  for (const [label, v] of [['undefined', undefined], ["'boom'", 'boom'], ['42', 42], ['null', null]] as [string, unknown][]) {
    add('Future', { call: `future.setException(${label})`, run: (w) => loose(w.loop.createFuture(), 'setException')(v), throws: TypeError, message: names('setException', 'exception') });
  }
  for (const [label, v] of NOT_CALLABLE.filter(([l]) => l !== 'Promise.resolve()')) {
    add('Future', { call: `future.addDoneCallback(${label})`, run: (w) => loose(w.loop.createFuture(), 'addDoneCallback')(v), throws: TypeError, message: names('addDoneCallback', 'callback') });
  }
  add('Future', { call: 'future.removeDoneCallback(5)', run: (w) => loose(w.loop.createFuture(), 'removeDoneCallback')(5), check: (v) => (v === 0 ? undefined : `returned ${String(v)}`) });
  add('Future', { call: 'future.cancel(123) (any message)', run: (w) => loose(w.loop.createFuture(), 'cancel')(123), check: (v) => (v === true ? undefined : `returned ${String(v)}`) });
  add('Future', { call: 'future.result() while pending', run: (w) => w.loop.createFuture().result(), throws: InvalidStateError, message: /^Result is not set\.$/ });
  add('Future', { call: 'future.exception() while pending', run: (w) => w.loop.createFuture().exception(), throws: InvalidStateError, message: /^Exception is not set\.$/ });
  add('Future', {
    call: 'future.setResult() twice',
    run: (w) => {
      const f = w.loop.createFuture();
      f.setResult(1);
      f.setResult(2);
    },
    throws: InvalidStateError,
    message: /^invalid state$/,
  });
  add('Future', { call: 'task.setResult(1)', run: (w) => w.loop.createTask(async () => 1).setResult(1), throws: RuntimeError, message: /^Task does not support set_result operation$/ });
  add('Future', { call: 'task.setException(new Error())', run: (w) => w.loop.createTask(async () => 1).setException(new Error()), throws: RuntimeError, message: /set_exception/ });

  // ------------------------------------------------------------ createServer / createConnection
  const factory = () => ({});
  const server = (w: World, host: unknown, port: unknown, opts?: unknown) => loose(w.loop, 'createServer')(factory, host, port, opts);
  const connect = (w: World, host: unknown, port: unknown, opts?: unknown) => loose(w.loop, 'createConnection')(factory, host, port, opts);
  for (const [label, v] of NOT_CALLABLE.filter(([l]) => l !== 'Promise.resolve()')) {
    add('createServer', { call: `loop.createServer(${label})`, run: (w) => loose(w.loop, 'createServer')(v, '127.0.0.1', 0), throws: TypeError, message: names('createServer', 'protocolFactory') });
    add('createConnection', { call: `loop.createConnection(${label})`, run: (w) => loose(w.loop, 'createConnection')(v, '127.0.0.1', w.port), throws: TypeError, message: names('createConnection', 'protocolFactory') });
  }
  integerArg('createServer', 'createServer', 'port', (w, v) => server(w, '127.0.0.1', v), { nullOk: true, range: [['-1', -1], ['65536', 65536]] });
  integerArg('createConnection', 'createConnection', 'port', (w, v) => connect(w, '127.0.0.1', v), { nullOk: true, range: [['-1', -1], ['65536', 65536]] });
  for (const [label, v] of [['5', 5], ['{}', {}], ['[1]', [1]], ['true', true]] as [string, unknown][]) {
    add('createServer', { call: `loop.createServer(f, ${label}, 0)`, run: (w) => server(w, v, 0), throws: TypeError, message: names('createServer', 'host') });
  }
  for (const [label, v] of [['5', 5], ['{}', {}], ["['127.0.0.1']", ['127.0.0.1']]] as [string, unknown][]) {
    add('createConnection', { call: `loop.createConnection(f, ${label}, port)`, run: (w) => connect(w, v, w.port), throws: TypeError, message: names('createConnection', 'host') });
  }
  add('createServer', { call: "loop.createServer(f, 'a\\0b', 0)", run: (w) => server(w, 'a\0b', 0), throws: ValueError, message: /embedded null character in host/ });
  add('createConnection', { call: "loop.createConnection(f, 'a\\0b', port)", run: (w) => connect(w, 'a\0b', w.port), throws: ValueError, message: /embedded null character in host/ });
  add('createServer', { call: "loop.createServer(f, 'x' * 100000, 0)", run: (w) => server(w, 'x'.repeat(100_000), 0), throws: evloop.gaierror });
  add('createServer', { call: 'loop.createServer(f, [], 0)', run: (w) => server(w, [], 0), throws: OSError, message: /could not bind on any address out of \[\]/ });
  add('createServer', { call: "loop.createServer(f, '127.0.0.1' x 2000, 0)", run: (w) => server(w, new Array(2000).fill('127.0.0.1'), 0), check: (s) => { (s as Server).close(); return undefined; } });
  for (const [call, run] of [
    ['createServer', (w: World, o: unknown) => server(w, '127.0.0.1', 0, o)],
    ['createConnection', (w: World, o: unknown) => connect(w, '127.0.0.1', w.port, o)],
  ] as const) {
    add(call, { call: `loop.${call}(..., 5)`, run: (w) => run(w, 5), throws: TypeError, message: names(call, 'options') });
    add(call, { call: `loop.${call}(..., { bogus: 1 })`, run: (w) => run(w, { bogus: 1 }), throws: TypeError, message: new RegExp(`^${call}\\(\\): unknown option 'bogus'`) });
    if (call === 'createServer') add(call, { call: `loop.${call}(..., { ssl: true })`, run: (w) => run(w, { ssl: true }), throws: TypeError, message: /^ssl argument must be an SSLContext or None$/ });
    add(call, { call: `loop.${call}(..., { ssl: {} })`, run: (w) => run(w, { ssl: {} }), throws: TypeError, message: /^ssl argument must be an SSLContext or None$/ });
    add(call, { call: `loop.${call}(..., { ssl: 'yes' })`, run: (w) => run(w, { ssl: 'yes' }), throws: TypeError, message: /^ssl argument must be an SSLContext or None$/ });
    add(call, { call: `loop.${call}(..., { sslHandshakeTimeout: 1 })`, run: (w) => run(w, { sslHandshakeTimeout: 1 }), throws: ValueError, message: /only meaningful with ssl/ });
    integerArg(call, call, 'family', (w, v) => run(w, { family: v }), { nullOk: true });
    integerArg(call, call, 'flags', (w, v) => run(w, { flags: v }), { nullOk: true });
    integerArg(call, call, 'sock', (w, v) => run(w, { sock: v }), { nullOk: true, range: [['-1', -1]] });
    add(call, { call: `loop.${call}(host, port, { sock: 0 })`, run: (w) => run(w, { sock: 0 }), throws: ValueError, message: /host\/port and sock can not be specified at the same time/ });
  }
  integerArg('createServer', 'createServer', 'backlog', (w, v) => server(w, '127.0.0.1', 0, { backlog: v }), { nullOk: true });
  add('createServer', { call: 'loop.createServer(f, h, 0, { family: 12345 })', run: (w) => server(w, '127.0.0.1', 0, { family: 12345 }), throws: ValueError, message: names('createServer', 'family') });
  for (const opt of ['reuseAddress', 'reusePort', 'keepAlive', 'startServing']) {
    add('createServer', { call: `loop.createServer(f, h, 0, { ${opt}: 'yes' })`, run: (w) => server(w, '127.0.0.1', 0, { [opt]: 'yes' }), throws: TypeError, message: names('createServer', opt) });
  }
  // An fd that is not a socket is refused, and stays open (it is the caller's).
  for (const [call, run] of [
    ['createServer', (w: World, fd: number) => loose(w.loop, 'createServer')(factory, undefined, undefined, { sock: fd })],
    ['createConnection', (w: World, fd: number) => loose(w.loop, 'createConnection')(factory, undefined, undefined, { sock: fd })],
    ['createUnixServer', (w: World, fd: number) => loose(w.loop, 'createUnixServer')(factory, undefined, { sock: fd })],
    ['createUnixConnection', (w: World, fd: number) => loose(w.loop, 'createUnixConnection')(factory, undefined, { sock: fd })],
    ['createDatagramEndpoint', (w: World, fd: number) => loose(w.loop, 'createDatagramEndpoint')(factory, { sock: fd })],
  ] as const) {
    add(call, {
      call: `loop.${call}(..., { sock: a file's fd })`,
      run: (w) => run(w, w.fileFd),
      throws: OSError,
      message: /Errno 88|Socket operation on non-socket/,
      check: undefined,
    });
    add(call, { call: `loop.${call}(..., { sock: a file's fd }) leaves it open`, run: (w) => fs.fstatSync(w.fileFd) });
    add(call, { call: `loop.${call}(..., { sock: not open })`, run: (w) => run(w, 999_999), throws: OSError, message: /Errno 9|Bad file descriptor/ });
  }
  add('createConnection', { call: "loop.createConnection(f, h, p, { localAddr: 'x' })", run: (w) => connect(w, '127.0.0.1', w.port, { localAddr: 'x' }), throws: TypeError, message: names('createConnection', 'localAddr') });
  add('createConnection', { call: "loop.createConnection(f, h, p, { localAddr: [h, 'x'] })", run: (w) => connect(w, '127.0.0.1', w.port, { localAddr: ['127.0.0.1', 'x'] }), throws: TypeError, message: names('createConnection', "localAddr's port") });
  add('createConnection', { call: "loop.createConnection(f, h, p, { serverHostname: 'x' })", run: (w) => connect(w, '127.0.0.1', w.port, { serverHostname: 'x' }), throws: ValueError, message: /server_hostname is only meaningful with ssl/ });
  add('createConnection', { call: 'loop.createConnection(f) (no host, port or sock)', run: (w) => loose(w.loop, 'createConnection')(factory), throws: ValueError, message: /host and port was not specified and no sock specified/ });
  add('createConnection', { call: 'loop.createConnection(f, h, closed port)', run: (w) => connect(w, '127.0.0.1', 1), throws: ConnectionRefusedError, message: /Connect call failed \('127\.0\.0\.1', 1\)/ });
  for (const call of ['createUnixServer', 'createUnixConnection']) {
    for (const [label, v] of [['5', 5], ['{}', {}], ['true', true]] as [string, unknown][]) {
      add(call, { call: `loop.${call}(f, ${label})`, run: (w) => loose(w.loop, call)(factory, v), throws: TypeError, message: names(call, 'path') });
    }
    add(call, { call: `loop.${call}(f, 'x' * 200)`, run: (w) => loose(w.loop, call)(factory, path.join(w.tmp, 'x'.repeat(200))), throws: OSError, message: /path must be shorter than SUN_LEN|too long/ });
  }
  add('createUnixConnection', { call: 'loop.createUnixConnection(f, missing path)', run: (w) => loose(w.loop, 'createUnixConnection')(factory, path.join(w.tmp, 'missing.sock')), throws: FileNotFoundError });
  add('createUnixServer', { call: 'loop.createUnixServer(f) (no path or sock)', run: (w) => loose(w.loop, 'createUnixServer')(factory), throws: ValueError, message: /path was not specified, and no sock specified/ });

  // ------------------------------------------------------------ Server
  add('Server', { call: 'closedServer.startServing()', run: (w) => w.closedServer.startServing(), throws: RuntimeError, message: /is closed/ });
  add('Server', { call: 'closedServer.serveForever()', run: (w) => w.closedServer.serveForever(), throws: RuntimeError, message: /is closed/ });
  for (const [label, v] of [['5', 5], ["'x'", 'x']] as [string, unknown][]) {
    add('Server', { call: `server.serveForever(${label})`, run: (w) => loose(w.server, 'serveForever')(v), throws: TypeError, message: names('serveForever', 'options') });
  }
  add('Server', { call: "server.serveForever({ signal: 'x' })", run: (w) => loose(w.server, 'serveForever')({ signal: 'x' }), throws: TypeError, message: names('serveForever', 'signal') });
  add('Server', { call: 'server.serveForever({ bogus: 1 })', run: (w) => loose(w.server, 'serveForever')({ bogus: 1 }), throws: TypeError, message: /^serveForever\(\): unknown option 'bogus'/ });
  for (const method of ['close', 'closeClients', 'abortClients', 'isServing', 'getLoop']) {
    add('Server', { call: `closedServer.${method}()`, run: (w) => loose(w.closedServer, method)() });
  }
  add('Server', { call: 'closedServer.waitClosed()', run: (w) => w.closedServer.waitClosed() });
  add('Server', { call: 'closedServer.sockets', run: (w) => w.closedServer.sockets, check: (v) => (Array.isArray(v) && v.length === 0 ? undefined : 'not []') });

  // ------------------------------------------------------------ Transport
  for (const [label, v] of [...WRONG_TYPES, ['null', null], ['undefined', undefined], ['5', 5]] as [string, unknown][]) {
    add('Transport', { call: `transport.write(${label})`, run: (w) => loose(w.transport, 'write')(v), throws: TypeError, message: /^data argument must be a bytes-like object, not/ });
    add('Transport', { call: `transport.writelines([${label}])`, run: (w) => loose(w.transport, 'writelines')([v]), throws: TypeError, message: /^data argument must be a bytes-like object, not/ });
  }
  for (const [label, v] of [['null', null], ['undefined', undefined], ['5', 5], ["'ab'", 'ab'], ['{}', {}]] as [string, unknown][]) {
    add('Transport', { call: `transport.writelines(${label})`, run: (w) => loose(w.transport, 'writelines')(v), throws: TypeError, message: names('writelines', 'list') });
  }
  // `{ high, low }` is the object form: `{}` sets the defaults.
  integerArg('Transport', 'setWriteBufferLimits', 'high', (w, v) => loose(w.transport, 'setWriteBufferLimits')(v === null || typeof v !== 'object' || Array.isArray(v) ? v : { high: v }), { nullOk: true });
  integerArg('Transport', 'setWriteBufferLimits', 'low', (w, v) => loose(w.transport, 'setWriteBufferLimits')(undefined, v), { nullOk: true });
  add('Transport', { call: 'transport.setWriteBufferLimits(1, 2)', run: (w) => w.transport.setWriteBufferLimits(1, 2), throws: ValueError, message: /^high \(1\) must be >= low \(2\) must be >= 0$/ });
  add('Transport', { call: 'transport.setWriteBufferLimits(-1)', run: (w) => w.transport.setWriteBufferLimits(-1), throws: ValueError, message: /must be >= 0/ });
  add('Transport', { call: 'transport.setWriteBufferLimits(undefined, 2 ** 52)', run: (w) => w.transport.setWriteBufferLimits(undefined, 2 ** 52), check: (_v, w) => { const [low, high] = w.transport.getWriteBufferLimits(); w.transport.setWriteBufferLimits(); return low === 2 ** 52 && high === 2 ** 54 ? undefined : `[${low}, ${high}]`; } });
  for (const [label, v] of [['5', 5], ['null', null], ["'p'", 'p']] as [string, unknown][]) {
    add('Transport', { call: `transport.setProtocol(${label})`, run: (w) => loose(w.transport, 'setProtocol')(v), throws: TypeError, message: names('setProtocol', 'protocol') });
  }
  for (const [label, v] of [["Symbol('s')", Symbol('s')], ['{}', {}], ['42', 42]] as [string, unknown][]) {
    add('Transport', { call: `transport.getExtraInfo(${label}, 'dflt')`, run: (w) => loose(w.transport, 'getExtraInfo')(v, 'dflt'), check: (v2) => (v2 === 'dflt' ? undefined : `returned ${String(v2)}`) });
  }
  add('Transport', { call: 'eofTransport.write(data) after writeEof()', run: (w) => w.eofTransport.write(Buffer.from('x')), throws: RuntimeError, message: /^Cannot call write\(\) after write_eof\(\)$/ });
  add('Transport', { call: 'eofTransport.writelines([data]) after writeEof()', run: (w) => w.eofTransport.writelines([Buffer.from('x')]), throws: RuntimeError, message: /^Cannot call writelines\(\) after write_eof\(\)$/ });
  add('Transport', {
    call: 'peer.write(64 MiB) to a client that does not read (buffered, then aborted)',
    run: (w) => {
      const t = w.peer();
      t.write(new Uint8Array(64 * 2 ** 20));
      return t.getWriteBufferSize();
    },
    check: (size) => ((size as number) > 32 * 2 ** 20 ? undefined : `buffered ${String(size)}`),
  });
  for (const [label, fn] of [
    ['write(data)', (t: Transport) => t.write(Buffer.from('x'))],
    ['writelines([data])', (t: Transport) => t.writelines([Buffer.from('x')])],
    ['writeEof()', (t: Transport) => t.writeEof()],
    ['close()', (t: Transport) => t.close()],
    ['abort()', (t: Transport) => t.abort()],
    ['pauseReading()', (t: Transport) => t.pauseReading()],
    ['resumeReading()', (t: Transport) => t.resumeReading()],
    ['setWriteBufferLimits(100, 10)', (t: Transport) => t.setWriteBufferLimits(100, 10)],
    ['getProtocol() is null', (t: Transport) => { if (t.getProtocol() !== null) throw new Error('protocol kept'); }],
    ['getWriteBufferSize() is 0', (t: Transport) => { if (t.getWriteBufferSize() !== 0) throw new Error('buffered'); }],
    ["getExtraInfo('peername')", (t: Transport) => t.getExtraInfo('peername')],
  ] as [string, (t: Transport) => unknown][]) {
    add('Transport', { call: `closedTransport.${label} (allowed: asyncio drops it)`, run: (w) => fn(w.closedTransport) });
  }

  // ------------------------------------------------------------ TransportSocket
  integerArg('TransportSocket', 'getsockopt', 'level', (w, v) => loose(w.sock, 'getsockopt')(v, SO_RCVBUF), { range: [['2 ** 31', 2 ** 31]] });
  integerArg('TransportSocket', 'getsockopt', 'option', (w, v) => loose(w.sock, 'getsockopt')(SOL_SOCKET, v));
  // A boolean value is 0 or 1, as Python's setsockopt takes it.
  integerArg('TransportSocket', 'setsockopt', 'value', (w, v) => loose(w.sock, 'setsockopt')(SOL_SOCKET, SO_RCVBUF, v === true ? 'true' : v));
  add('TransportSocket', { call: 'sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true)', run: (w) => w.sock.setsockopt(SOL_SOCKET, evloop.SO_KEEPALIVE, true) });
  add('TransportSocket', { call: 'sock.getsockopt(99999, 99999)', run: (w) => w.sock.getsockopt(99_999, 99_999), throws: OSError });
  add('TransportSocket', { call: 'sock.setsockopt(SOL_SOCKET, 99999, 1)', run: (w) => w.sock.setsockopt(SOL_SOCKET, 99_999, 1), throws: OSError });
  for (const [label, v] of [['1', 1], ['-1', -1], ['Infinity', Infinity], ['NaN', NaN]] as [string, unknown][]) {
    add('TransportSocket', { call: `sock.settimeout(${label})`, run: (w) => loose(w.sock, 'settimeout')(v), throws: ValueError });
  }
  add('TransportSocket', { call: "sock.settimeout('1')", run: (w) => loose(w.sock, 'settimeout')('1'), throws: TypeError, message: names('settimeout', 'timeout') });
  add('TransportSocket', { call: 'sock.setblocking(true)', run: (w) => w.sock.setblocking(true), throws: ValueError });

  // ------------------------------------------------------------ streams
  integerArg('streams', 'read', 'n', (w, v) => loose(w.reader, 'read')(v));
  integerArg('streams', 'readexactly', 'n', (w, v) => loose(w.reader, 'readexactly')(v));
  add('streams', { call: 'reader.readexactly(-1)', run: (w) => w.reader.readexactly(-1), throws: ValueError, message: /^readexactly size can not be less than zero$/ });
  for (const [label, v] of [["'x'", 'x'], ['5', 5], ['{}', {}], ['null', null]] as [string, unknown][]) {
    add('streams', { call: `reader.readuntil(${label})`, run: (w) => loose(w.reader, 'readuntil')(v), throws: TypeError, message: /^readuntil\(\): separator must be a bytes-like object/ });
    add('streams', { call: `reader.readuntil([${label}])`, run: (w) => loose(w.reader, 'readuntil')([v]), throws: TypeError, message: /^readuntil\(\): separator must be a bytes-like object/ });
  }
  add('streams', { call: 'reader.readuntil(empty)', run: (w) => w.reader.readuntil(new Uint8Array(0)), throws: ValueError, message: /^Separator should be at least one-byte string$/ });
  add('streams', { call: 'reader.readuntil([])', run: (w) => w.reader.readuntil([]), throws: ValueError, message: /^Separator should contain at least one element$/ });
  for (const [label, v] of [["'x'", 'x'], ['null', null], ['5', 5]] as [string, unknown][]) {
    add('streams', { call: `writer.write(${label})`, run: (w) => loose(w.writer, 'write')(v), throws: TypeError, message: /^data argument must be a bytes-like object/ });
    add('streams', { call: `writer.writelines(${label})`, run: (w) => loose(w.writer, 'writelines')(v), throws: TypeError, message: names('writelines', 'list') });
  }
  for (const [call, run] of [
    ['startServer', (o: unknown) => loose(evloop, 'startServer')(cb, '127.0.0.1', 0, o)],
    ['openConnection', (o: unknown, w?: World) => loose(evloop, 'openConnection')('127.0.0.1', w?.port, o)],
  ] as const) {
    for (const [label, v] of [['0', 0], ['-1', -1], ['-Infinity', -Infinity]] as const) {
      add('streams', { call: `${call}(..., { limit: ${label} })`, run: (w) => run({ limit: v }, w), throws: ValueError, message: /^Limit cannot be <= 0$/ });
    }
    add('streams', { call: `${call}(..., { limit: NaN })`, run: (w) => run({ limit: NaN }, w), throws: RangeError, message: names(call, 'limit') });
    add('streams', { call: `${call}(..., { limit: Infinity })`, run: (w) => run({ limit: Infinity }, w), throws: RangeError, message: names(call, 'limit') });
    add('streams', { call: `${call}(..., { limit: '1' })`, run: (w) => run({ limit: '1' }, w), throws: TypeError, message: names(call, 'limit') });
    add('streams', { call: `${call}(..., 5)`, run: (w) => run(5, w), throws: TypeError, message: names(call, 'options') });
  }
  for (const [label, v] of NOT_CALLABLE.filter(([l]) => l !== 'Promise.resolve()')) {
    add('streams', { call: `startServer(${label})`, run: () => loose(evloop, 'startServer')(v, '127.0.0.1', 0), throws: TypeError, message: names('startServer', 'clientConnected') });
  }
  integerArg('streams', 'openConnection', 'port', (_w, v) => loose(evloop, 'openConnection')('127.0.0.1', v), { nullOk: true, range: [['70000', 70_000]] });
  add('streams', { call: 'startUnixServer(cb, 5)', run: () => loose(evloop, 'startUnixServer')(cb, 5), throws: TypeError, message: names('startUnixServer', 'path') });
  add('streams', { call: 'openUnixConnection(5)', run: () => loose(evloop, 'openUnixConnection')(5), throws: TypeError, message: names('openUnixConnection', 'path') });
  for (const [label, fn] of [
    ["startServer(cb, '127.0.0.1', 0)", () => startServer(cb, '127.0.0.1', 0)],
    ["openConnection('127.0.0.1', 1)", () => openConnection('127.0.0.1', 1)],
    ['startUnixServer(cb, path)', () => startUnixServer(cb, path.join(os.tmpdir(), 'evloop-never.sock'))],
    ['openUnixConnection(path)', () => openUnixConnection(path.join(os.tmpdir(), 'evloop-never.sock'))],
    ['sleep(0)', () => sleep(0)],
    ['getRunningLoop()', () => getRunningLoop()],
  ] as [string, () => unknown][]) {
    add('streams', { call: `${label} with no running loop`, run: fn, throws: RuntimeError, message: /^no running event loop$/, idle: true });
  }

  // ------------------------------------------------------------ sleep, run, Runner, policies, remotes, errors
  for (const [label, v] of [["'1'", '1'], ['null', null], ['{}', {}]] as [string, unknown][]) {
    add('run and policies', { call: `sleep(${label})`, run: () => loose(evloop, 'sleep')(v), throws: TypeError, message: names('sleep', 'delay') });
  }
  add('run and policies', { call: 'sleep(NaN)', run: () => sleep(NaN), throws: RangeError, message: names('sleep', 'delay') });
  add('run and policies', { call: 'sleep(-1) (due now)', run: () => sleep(-1, 'v'), check: (v) => (v === 'v' ? undefined : `resolved ${String(v)}`) });
  add('run and policies', { call: 'run(main) inside a running loop', run: () => run(async () => 1), throws: RuntimeError, message: /^asyncio\.run\(\) cannot be called from a running event loop$/ });
  add('run and policies', { call: 'new Runner().run(main) inside a running loop', run: () => new Runner().run(async () => 1), throws: RuntimeError, message: /cannot be called from a running event loop/ });
  for (const [label, v] of [['5', 5], ["'main'", 'main'], ['null', null]] as [string, unknown][]) {
    add('run and policies', { call: `run(${label})`, run: () => loose(evloop, 'run')(v), throws: TypeError, message: /^An asyncio\.Future, a coroutine or an awaitable is required$/, idle: true });
  }
  add('run and policies', { call: 'run(main, 5)', run: () => loose(evloop, 'run')(async () => 1, 5), throws: TypeError, message: /options must be an object/, idle: true });
  add('run and policies', { call: 'run(main, { loopFactory: 5 })', run: () => loose(evloop, 'run')(async () => 1, { loopFactory: 5 }), throws: TypeError, message: /option loopFactory must be a function/, idle: true });
  add('run and policies', { call: "run(main, { debug: 'yes' })", run: () => loose(evloop, 'run')(async () => 1, { debug: 'yes' }), throws: TypeError, message: /option debug must be a boolean/, idle: true });
  add('run and policies', { call: 'new Runner(5)', run: () => new (Runner as unknown as new (o: unknown) => unknown)(5), throws: TypeError, message: /^Runner\(\): options must be an object/ });
  add('run and policies', {
    call: 'runner.run(main) after close()',
    run: async () => {
      const r = new Runner();
      await r.close();
      return r.run(async () => 1);
    },
    throws: RuntimeError,
    message: /^Runner is closed$/,
    idle: true,
  });
  for (const [label, v] of [['5', 5], ["'loop'", 'loop'], ['[]', []]] as [string, unknown][]) {
    add('run and policies', { call: `setEventLoop(${label})`, run: () => loose(evloop, 'setEventLoop')(v), throws: TypeError, message: /^loop must be an instance of AbstractEventLoop or None/ });
    add('run and policies', { call: `setEventLoopPolicy(${label})`, run: () => loose(evloop, 'setEventLoopPolicy')(v), throws: TypeError, message: /^policy must be an instance of AbstractEventLoopPolicy or None/ });
    if (!Array.isArray(v)) {
      add('run and policies', { call: `new SelectorEventLoop(${label})`, run: () => new (SelectorEventLoop as unknown as new (o: unknown) => EventLoop)(v).close(), throws: TypeError, message: names('SelectorEventLoop', 'options') });
    }
    add('run and policies', { call: `new SelectorEventLoop({ selector: ${label} })`, run: () => new SelectorEventLoop({ selector: v as 'poll' }).close(), throws: typeof v === 'string' ? ValueError : TypeError, message: /^SelectorEventLoop\(\): (unknown selector|option selector must)/ });
  }
  add('run and policies', {
    call: 'new ProactorEventLoop() (a loop, or NotImplementedError where the platform has none)',
    run: () => {
      try {
        new ProactorEventLoop().close();
      } catch (e) {
        if (!(e instanceof NotImplementedError)) throw e;
      }
    },
  });
  add('run and policies', { call: 'new AbstractEventLoopPolicy().newEventLoop()', run: () => new (AbstractEventLoopPolicy as unknown as new () => AbstractEventLoopPolicy)().newEventLoop(), throws: TypeError, message: /does not implement newEventLoop\(\)/ });
  add('run and policies', { call: 'setEventLoop(null), setEventLoopPolicy(null) (allowed)', run: () => { setEventLoop(null); setEventLoopPolicy(null); } });
  for (const [label, v] of [["'1'", '1'], ['null', null], ['1n', 1n]] as [string, unknown][]) {
    add('LoopRemote', { call: `LoopRemote.fromToken(${label})`, run: () => loose(LoopRemote, 'fromToken')(v), throws: TypeError, message: names('LoopRemote.fromToken', 'token') });
  }
  for (const [label, v] of [['-1', -1], ['0', 0], ['1.5', 1.5], ['NaN', NaN], ['Infinity', Infinity], ['2 ** 60', 2 ** 60]] as const) {
    add('LoopRemote', { call: `LoopRemote.fromToken(${label})`, run: () => LoopRemote.fromToken(v), throws: RangeError, message: names('LoopRemote.fromToken', 'token') });
  }
  add('LoopRemote', { call: 'LoopRemote.fromToken(2 ** 40) (never issued)', run: () => LoopRemote.fromToken(2 ** 40), throws: RuntimeError, message: /is not open/ });
  add('LoopRemote', { call: 'remote.callSoonThreadsafe(() => {}) (not cloneable)', run: (w) => loose(w.loop.createRemote(cb), 'callSoonThreadsafe')(() => {}), throws: TypeError, message: /^LoopRemote\.callSoonThreadsafe\(\): arguments must be structured-cloneable/ });
  add('LoopRemote', {
    call: 'closed remote.callSoonThreadsafe(1)',
    run: (w) => {
      const r = w.loop.createRemote(cb);
      r.close();
      return loose(r, 'callSoonThreadsafe')(1);
    },
    throws: RuntimeError,
    message: /is not open|closed/,
  });
  add('LoopRemote', {
    call: 'LoopRemote.fromToken(t).close() (not the owner)',
    run: (w) => LoopRemote.fromToken(w.loop.createRemote(cb).token).close(),
    throws: RuntimeError,
    message: /only the remote returned by loop\.createRemote\(\) can close it/,
  });
  add('errors', { call: "new OSError('m', 5)", run: () => new (OSError as unknown as new (m: string, o: unknown) => Error)('m', 5), throws: TypeError, message: names('OSError', 'options') });
  add('errors', { call: "new OSError('m', null)", run: () => new (OSError as unknown as new (m: string, o: unknown) => Error)('m', null) });
  add('errors', { call: 'new IncompleteReadError(null, 1)', run: () => new (IncompleteReadError as unknown as new (p: unknown, e: unknown) => Error)(null, 1), throws: TypeError, message: names('IncompleteReadError', 'partial') });
  add('errors', {
    call: 'new IncompleteReadError(bytes, undefined)',
    run: () => new IncompleteReadError(Buffer.from('ab'), undefined as unknown as number).message,
    check: (m) => (m === '2 bytes read on a total of undefined expected bytes' ? undefined : String(m)),
  });
  return rows;
}

// ---------------------------------------------------------------- running the table

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}(${e.name}): ${e.message}`;
  return `a thrown ${typeof e}: ${String(e)}`;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** Runs a row; a description of what went wrong, or undefined. */
export async function check(c: Case, w: World): Promise<string | undefined> {
  let value: unknown;
  let error: unknown;
  let threw = false;
  try {
    value = c.run(w);
    if (!c.sync && isThenable(value)) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('TIMEOUT: neither resolved nor rejected within 5 s')), 5000);
      });
      try {
        value = await Promise.race([value, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
  } catch (e) {
    threw = true;
    error = e;
  }
  if (c.throws === undefined) {
    if (threw) return `expected success, got ${describe(error)}`;
    return c.check?.(value, w);
  }
  if (!threw) return `expected ${c.throws.name}, but it succeeded`;
  if (!(error instanceof c.throws)) return `expected ${c.throws.name}, got ${describe(error)}`;
  if (c.message !== undefined && !c.message.test((error as Error).message)) {
    return `message ${JSON.stringify((error as Error).message)} does not match ${c.message}`;
  }
  if (/Failed to convert|napi|panicked/i.test((error as Error).message)) return `a raw binding error: ${describe(error)}`;
  return undefined;
}

/** An echo server and its connections, on a running `loop`. */
async function makeWorld(loop: EventLoop): Promise<World> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evloop-bad-input-'));
  const serverSide: Transport[] = [];
  const server = await loop.createServer(() => {
    let t: Transport;
    return {
      connectionMade(tr: Transport) {
        t = tr;
        serverSide.push(tr);
      },
      dataReceived(d: Buffer) {
        if (d.toString() === 'ping') t.write(Buffer.from('pong'));
      },
    };
  }, '127.0.0.1', 0);
  const port = (server.sockets[0].getsockname() as { port: number }).port;
  const [transport] = await loop.createConnection(() => ({}), '127.0.0.1', port);
  const [closedTransport] = await loop.createConnection(() => ({}), '127.0.0.1', port);
  closedTransport.close();
  const [eofTransport] = await loop.createConnection(() => ({}), '127.0.0.1', port);
  eofTransport.writeEof();
  const closedServer = await loop.createServer(() => ({}), '127.0.0.1', 0);
  closedServer.close();
  const [reader, writer] = await openConnection('127.0.0.1', port);
  const idle = new SelectorEventLoop();
  const closedLoop = new SelectorEventLoop();
  closedLoop.close();
  await sleep(0.01);
  return {
    fileFd: fs.openSync(path.join(tmp, 'not-a-socket'), 'w'),
    loop,
    idle,
    closedLoop,
    server,
    closedServer,
    port,
    transport,
    peer: () => serverSide[0],
    closedTransport,
    eofTransport,
    sock: server.sockets[0],
    reader,
    writer,
    tmp,
  };
}

/** After the table: the loop still works end to end, and stdio is open. */
async function stillWorks(w: World): Promise<string | undefined> {
  const t0 = w.loop.time();
  await sleep(0.001);
  if (!(w.loop.time() > t0)) return 'time() did not advance';
  const [t, p] = await w.loop.createConnection(() => {
    const got: Buffer[] = [];
    return { got, dataReceived: (d: Buffer) => void got.push(d) };
  }, '127.0.0.1', w.port);
  t.write(Buffer.from('ping'));
  for (let i = 0; i < 500 && Buffer.concat(p.got).toString() !== 'pong'; i++) await sleep(0.002);
  t.close();
  if (Buffer.concat(p.got).toString() !== 'pong') return 'no echo after the table';
  for (const fd of [0, 1, 2]) {
    try {
      fs.fstatSync(fd);
    } catch (e) {
      return `fd ${fd} was closed: ${describe(e)}`;
    }
  }
  return undefined;
}

export interface TableResult {
  total: number;
  failures: string[];
}

/**
 * Runs `rows` (default: all): the idle ones with no loop running, the
 * others inside a task of a running loop, with one loop iteration after
 * each; then checks the loop still works.
 */
export async function runTable(rows: Case[] = cases()): Promise<TableResult> {
  const failures: string[] = [];
  for (const c of rows.filter((r) => r.idle)) {
    const f = await check(c, undefined as unknown as World);
    if (f !== undefined) failures.push(`[${c.group}] ${c.call}: ${f}`);
  }
  const running = rows.filter((r) => !r.idle);
  if (running.length === 0) return { total: rows.length, failures };
  const loop = new SelectorEventLoop();
  loop.setExceptionHandler(() => {}); // rows may leave callbacks that report errors
  let w: World | undefined;
  try {
    await loop.runUntilComplete(
      loop.createTask(async () => {
        w = await makeWorld(loop);
        for (const c of running) {
          const f = await check(c, w);
          if (f !== undefined) failures.push(`[${c.group}] ${c.call}: ${f}`);
          await sleep(0); // the loop still iterates
        }
        const broken = await stillWorks(w);
        if (broken !== undefined) failures.push(`after the table: ${broken}`);
        w.peer()?.abort();
        w.server.close();
        w.server.closeClients();
        w.writer.close();
        await sleep(0.01);
      }),
    );
  } finally {
    w?.idle.close();
    if (w !== undefined) {
      fs.closeSync(w.fileFd);
      fs.rmSync(w.tmp, { recursive: true, force: true });
    }
    loop.close();
  }
  return { total: rows.length, failures };
}

/** The child process's entry: the whole table, a JSON line, exit 0 if all rows held. */
export async function main(): Promise<void> {
  const result = await runTable();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
