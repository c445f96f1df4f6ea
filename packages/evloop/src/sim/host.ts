// Host: a simulated host as the program sees it, an event loop (NetLoop,
// so BaseLoop's callbacks, timers, futures, tasks, exception handler and
// debug mode, and the networking calls) over the back end of its current
// life (backend.ts, net-backend.ts). What is here is only what a simulated
// host adds: its name, clock skew, random stream and fault points, its
// program, and the move from life to life. Simulation (simulation.ts) makes
// hosts and moves them. Browser-safe.

import type { LoopBackend } from '../core/backend.js';
import { sleepOn, type FileLike } from '../core/base-loop.js';
import { CancelledError, NotImplementedError, RuntimeError } from '../core/errors.js';
import { repr as traceRepr } from '../core/format.js';
import type { Executor, ExecutorCallable } from '../core/executor.js';
import type { Future } from '../core/futures.js';
import { loopInternals } from '../core/internal.js';
import type { NetBackend } from '../core/net/backend.js';
import { NetLoop } from '../core/net/net-loop.js';
import type { ConnectionOptions, ServerOptions, StreamLimit } from '../core/net/options.js';
import type { Server } from '../core/net/server.js';
import { openConnectionOn, startServerOn, type ClientConnected, type StreamReader, type StreamWriter } from '../core/net/streams.js';
import { setRunningLoop } from '../core/running.js';
import { isFatal, isThenable } from '../core/values.js';
import type { NativeHostLoop, SimulationCore } from '../../wasm/evloop_wasm.js';
import { touch } from './activity.js';
import { releaseLife, simBackend } from './backend.js';
import { simExecutor } from './executor.js';
import { simNetBackend } from './net-backend.js';
import { buggifyArgs } from './power.js';
import type { Simulation } from './simulation.js';
import type { HostProgram } from './types.js';

/** What the simulation does to its hosts (simulation.ts); not exported by the package. */
export interface HostLife {
  /** Makes a host; `addLife(starter)` registers it with the core and returns its first life. */
  make(
    sim: Simulation,
    core: SimulationCore,
    name: string,
    program: HostProgram | undefined,
    addLife: (starter: (() => void) | undefined) => NativeHostLoop,
  ): Host;
  /** Moves the host to a new life (a restart, scheduled or not). */
  set(host: Host, life: NativeHostLoop): void;
  /** Forgets the current life's reporter (the simulation closes). */
  release(host: Host): void;
}

export let hostLife: HostLife;

/**
 * A simulated host: an event loop with the Node loop's interface (callSoon,
 * callLater, callAt, time, createFuture, createTask, createServer,
 * createConnection, the exception handler, ...), plus `name`,
 * `wallTime()`, `random()` and `buggify()`. The object stays the host's
 * across restarts: its methods use the current life's loop (after a crash,
 * the closed one: RuntimeError 'Event loop is closed').
 */
export class Host extends NetLoop {
  /**
   * The simulation that made the host, weakly: the core holds the host (its
   * callbacks, its program), and must not keep a simulation the program
   * forgot to close from being collected (simulation.ts, `finalizer`).
   */
  readonly #sim: WeakRef<Simulation>;
  /** The simulation's core: the host's clock skew, random stream and fault points are kept there, by name. */
  readonly #core: SimulationCore;
  readonly #name: string;
  /** Runs at the start of every life; undefined for a host driven from outside. */
  readonly #program: HostProgram | undefined;
  /** The current life's native loop (set by `#useLife`, from the constructor on). */
  #life!: NativeHostLoop;
  /** The current life's back ends, which BaseLoop and NetLoop read on every call. */
  #backend!: LoopBackend;
  #net!: NetBackend;
  /** Makes this host the running loop: before any JavaScript its life runs. */
  readonly #enter = (): void => {
    setRunningLoop(this);
  };

  static {
    hostLife = {
      make: (sim, core, name, program, addLife) => new Host(sim, core, name, program, addLife),
      set: (host, life) => host.#useLife(life),
      release: (host) => releaseLife(host.#life),
    };
  }

  private constructor(
    sim: Simulation,
    core: SimulationCore,
    name: string,
    program: HostProgram | undefined,
    addLife: (starter: (() => void) | undefined) => NativeHostLoop,
  ) {
    super();
    this.#sim = new WeakRef(sim);
    this.#core = core;
    this.#name = name;
    this.#program = program;
    this.#useLife(addLife(program === undefined ? undefined : () => this.#start()));
  }

  protected override get backend(): LoopBackend {
    return this.#backend;
  }

  protected override get net(): NetBackend {
    return this.#net;
  }

  /** The host's name. */
  get name(): string {
    return this.#name;
  }

  /** The simulation the host belongs to (RuntimeError once it was garbage-collected: nothing runs any more). */
  get simulation(): Simulation {
    const sim = this.#sim.deref();
    if (sim === undefined) throw new RuntimeError(`the simulation of host '${this.#name}' was garbage-collected`);
    return sim;
  }

  /** The host's wall clock, in seconds since the Unix epoch: 2026-01-01T00:00:00Z + time() + its skew. */
  wallTime(): number {
    return this.#core.wallTime(this.#name);
  }

  /** The next number in [0, 1) of the host's own random stream (from the seed and the name only). */
  random(): number {
    return this.#core.random(this.#name);
  }

  /**
   * Fault point `name`: true with probability `p` when the simulation
   * enables it (option `buggify`), always false otherwise. A true is
   * recorded as a `buggify` trace record of this host.
   */
  override buggify(name: string, p = 0.25): boolean {
    buggifyArgs('buggify', name, p);
    return this.#core.buggify(name, p, this.#name);
  }

  /** Whether the host is crashed (and not restarted). */
  isCrashed(): boolean {
    return this.#core.isCrashed(this.#name);
  }

  /** A Future of this host completing with `value` after `delay` virtual seconds (asyncio.sleep). */
  sleep(delay: number): Future<void>;
  sleep<T>(delay: number, value: T): Future<T>;
  sleep<T>(delay: number, value?: T): Future<T | undefined> {
    return sleepOn(this, 'sleep', delay, value);
  }

  /** A host's loop is driven by its simulation: use `sim.runFor()` or `sim.runUntilComplete()`. */
  override runForever(): Promise<void> {
    return Promise.reject(
      new RuntimeError(`the loop of host '${this.#name}' is driven by its Simulation: use sim.runFor() or sim.runUntilComplete()`),
    );
  }

  /** As `runForever`: the simulation drives the host. */
  override runUntilComplete<T>(future: PromiseLike<T> | Future<T>): Promise<T> {
    return this.runForever() as Promise<never>;
  }

  /** NotImplementedError: simulated hosts have no file descriptors to watch. */
  override addReader<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void {
    throw new NotImplementedError('addReader() is not supported on a simulated host');
  }

  /** NotImplementedError: simulated hosts have no file descriptors to watch. */
  override addWriter<A extends unknown[]>(fd: number | FileLike, callback: (...args: A) => unknown, ...args: A): void {
    throw new NotImplementedError('addWriter() is not supported on a simulated host');
  }

  /** Always false: nothing can be registered. */
  override removeReader(fd: number | FileLike): boolean {
    return false;
  }

  /** Always false: nothing can be registered. */
  override removeWriter(fd: number | FileLike): boolean {
    return false;
  }

  /** asyncio.start_server on this host (the package function uses the running host). */
  startServer(
    clientConnected: ClientConnected,
    host?: string | string[] | null,
    port?: number | null,
    opts?: ServerOptions & StreamLimit,
  ): Future<Server<this>> {
    return startServerOn(this, clientConnected, host, port, opts);
  }

  /** asyncio.open_connection from this host. */
  openConnection(host?: string | null, port?: number | null, opts?: ConnectionOptions & StreamLimit): Future<[StreamReader, StreamWriter]> {
    return openConnectionOn(this, host, port, opts);
  }

  // -------------------------------------------------------- BaseLoop's hooks

  /** The trace must not depend on the runtime: the name is written the browser-safe way. */
  protected override reprInfo(): string {
    return ` name=${traceRepr(this.#name)}`;
  }

  protected override reportPrefix(): string {
    return `[${this.#name}] `;
  }

  /** Task names count up across the simulations of a process: naming the task in the trace would make two runs of one seed differ. */
  protected override taskStepName(taskName: string): string {
    return 'Task.step';
  }

  /** A completed future is work the driver must let settle (activity.ts). */
  protected override onFutureDone(): void {
    touch();
  }

  // -------------------------------------------------------- executor

  /**
   * `fn(...args)` on the host's own executor: it runs on the host after a virtual delay drawn
   * from the host's executor stream. Only `null` (the default executor) is accepted: the
   * simulation cannot make a worker's timing deterministic.
   */
  override runInExecutor<A extends unknown[], R>(
    executor: Executor | null,
    fn: ExecutorCallable<A, R | PromiseLike<R>>,
    ...args: A
  ): Future<R> {
    if (executor !== null && executor !== undefined) {
      throw new NotImplementedError('runInExecutor(): a simulated host runs work only on its own executor; pass null');
    }
    return super.runInExecutor(null, fn, ...args);
  }

  /** Refused: a simulated host's executor is the simulation's. */
  override setDefaultExecutor(_executor: Executor): void {
    throw new NotImplementedError("setDefaultExecutor(): a simulated host's executor is the simulation's (work completes after a drawn virtual delay)");
  }

  // -------------------------------------------------------- lives

  #useLife(life: NativeHostLoop): void {
    // The life before (crashed, so closed) calls nothing any more.
    if (this.#life !== undefined && this.#life !== life) this.#life.setDispatch(undefined);
    this.#life = life;
    this.#backend = simBackend(life, this.driver, this.#enter, () =>
      simExecutor(this, () => this.#core.executorDelay(this.#name)),
    );
    this.#net = simNetBackend(life);
    this.applySettings(this.#backend);
  }

  /** Runs the program (the core calls it, as a callback labelled `program`, in each life). */
  #start(): void {
    const program = this.#program;
    if (program === undefined) return;
    this.#enter();
    let result: unknown;
    try {
      result = program(this);
    } catch (exc) {
      this.#programError(exc);
      return;
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(undefined, (exc: unknown) => this.#programError(exc));
    }
  }

  #programError(exc: unknown): void {
    if (exc instanceof CancelledError) return;
    if (isFatal(exc)) {
      loopInternals.guard(this, () => loopInternals.raiseFatal(this, exc));
      return;
    }
    loopInternals.guard(this, () =>
      this.callExceptionHandler({ message: `Exception in the program of host '${this.#name}'`, exception: exc }),
    );
  }
}
