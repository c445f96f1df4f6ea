// Type test (compiled by `pnpm run typecheck`, never run): the package's
// loop-level declarations accept what the API promises and reject misuse.
import {
  AbstractEventLoop,
  DefaultEventLoopPolicy,
  EventLoop,
  Future,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  KeyboardInterrupt,
  LoopRemote,
  newEventLoop,
  run,
  Runner,
  SelectorEventLoop,
  setEventLoop,
  setEventLoopPolicy,
  sleep,
  SystemExit,
  Task,
  type ExceptionContext,
  type Handle,
  type ThreadsafeHandle,
  type TimerHandle,
} from 'evloop';

// The seed's example: a policy whose loops are select-based.
class SelectPolicy extends DefaultEventLoopPolicy {
  newEventLoop() {
    return new SelectorEventLoop({ selector: 'select' });
  }
}
setEventLoopPolicy(new SelectPolicy());
setEventLoopPolicy(null);
const policyLoop: AbstractEventLoop = getEventLoopPolicy().newEventLoop();
void policyLoop;

// newEventLoop() is the policy's loop: any AbstractEventLoop, with the whole loop API.
const fromPolicy: AbstractEventLoop = newEventLoop();
fromPolicy.close();
const loop = new EventLoop();
const l2 = new SelectorEventLoop({ selector: 'poll' });
const which: 'epoll' | 'kqueue' | 'poll' | 'select' = l2.selector;
void which;
const l3: SelectorEventLoop = new EventLoop();
void l3;
// @ts-expect-error: not a selector name
new SelectorEventLoop({ selector: 'iocp' });

const h: Handle = loop.callSoon((a: number, b: string) => a + b.length, 1, 'x');
// @ts-expect-error: the arguments must match the callback's parameters
loop.callSoon((a: number) => a, 'not a number');
const t: TimerHandle = loop.callLater(0.5, () => {});
const when: number = t.when();
void when;
h.cancel();
const ts: Handle = loop.callSoonThreadsafe(() => {});
void ts;
loop.callAt(loop.time() + 1, (s: string) => s, 's');

const fut: Future<number> = loop.createFuture<number>();
fut.setResult(1);
fut.addDoneCallback((f) => f.result() + 1);
const removed: number = fut.removeDoneCallback(() => {});
void removed;
async function awaits(): Promise<number> {
  const n: number = await fut;
  const task: Task<string> = loop.createTask(async () => 'x', { name: 'named' });
  const s: string = await task;
  task.signal.addEventListener('abort', () => {});
  const viaRun: number = await loop.runUntilComplete(fut);
  const viaPromise: string = await loop.runUntilComplete(Promise.resolve('p'));
  await sleep(0.1);
  const v: string = await sleep(0, 'value');
  return n + s.length + viaRun + viaPromise.length + v.length;
}
void awaits;

loop.setExceptionHandler((lp: AbstractEventLoop, ctx: ExceptionContext) => {
  const m: string | undefined = ctx.message;
  void lp;
  void m;
});
loop.setExceptionHandler(null);
// @ts-expect-error: a handler must be a function or null
loop.setExceptionHandler('x');
const handler = loop.getExceptionHandler();
void handler;
loop.callExceptionHandler({ message: 'custom', foo: 1 });
loop.defaultExceptionHandler({ message: 'custom' });
loop.setDebug(true);
const debug: boolean = loop.getDebug();
void debug;
loop.slowCallbackDuration = 0.05;

loop.addReader(0, (tag: string) => tag, 'r');
loop.addWriter({ fileno: () => 1 }, () => {});
const r1: boolean = loop.removeReader(0);
const r2: boolean = loop.removeWriter({ fileno: () => 1 });
void r1;
void r2;

const remote: LoopRemote<[string, number]> = loop.createRemote((s: string, n: number) => s.repeat(n));
const token: number = remote.token;
const th: ThreadsafeHandle = LoopRemote.fromToken<[string, number]>(token).callSoonThreadsafe('a', 2);
th.cancel();
// @ts-expect-error: the remote's arguments are typed
remote.callSoonThreadsafe(1, 'a');
remote.stop();

setEventLoop(loop);
setEventLoop(null);
const current: AbstractEventLoop = getEventLoop();
const runningLoop: AbstractEventLoop = getRunningLoop();
void current;
void runningLoop;

async function runs(): Promise<void> {
  const n: number = await run(async (lp) => lp.time());
  const s: string = await run(async () => 'x', { loopFactory: () => new SelectorEventLoop({ selector: 'select' }), debug: true });
  await using runner = new Runner({ debug: false });
  const b: boolean = await runner.run(async (lp) => lp.isRunning());
  void n;
  void s;
  void b;
}
void runs;

const fatal: Error = new SystemExit('bye');
const interrupt: Error = new KeyboardInterrupt();
void fatal;
void interrupt;
