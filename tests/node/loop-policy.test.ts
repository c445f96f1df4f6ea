// Event loop policies, the current-loop accessors, run() and Runner with
// the policy's loops (reference §3.4, §2.10).
import { afterEach, describe, expect, it } from 'vitest';
import {
  AbstractEventLoop,
  AbstractEventLoopPolicy,
  DefaultEventLoopPolicy,
  EventLoop,
  getEventLoop,
  getEventLoopPolicy,
  newEventLoop,
  NotImplementedError,
  ProactorEventLoop,
  run,
  Runner,
  RuntimeError,
  SelectorEventLoop,
  setEventLoop,
  setEventLoopPolicy,
  ValueError,
} from 'evloop';
import { SELECTORS } from './loop-helpers.js';

afterEach(() => {
  setEventLoopPolicy(null);
});

/** The seed's example: every new loop is select-based. */
class SelectPolicy extends DefaultEventLoopPolicy {
  newEventLoop() {
    return new SelectorEventLoop({ selector: 'select' });
  }
}

describe('loop classes', () => {
  it('EventLoop is SelectorEventLoop on the default selector', () => {
    expect(EventLoop).toBe(SelectorEventLoop);
    const loop = new EventLoop();
    expect(loop).toBeInstanceOf(AbstractEventLoop);
    expect(loop.selector).toBe(process.platform === 'linux' ? 'epoll' : 'kqueue');
    loop.close();
    const viaPolicy = newEventLoop();
    expect(viaPolicy).toBeInstanceOf(SelectorEventLoop);
    viaPolicy.close();
  });

  it.each(SELECTORS)('SelectorEventLoop({ selector: %s }) reports the one in use', (selector) => {
    const loop = new SelectorEventLoop({ selector });
    const expected = selector === 'default' ? (process.platform === 'linux' ? 'epoll' : 'kqueue') : selector;
    expect(loop.selector).toBe(expected);
    expect(String(loop)).toContain(`selector=${expected}`);
    loop.close();
  });

  it('unknown selectors are ValueErrors naming the option', () => {
    const make = (options: unknown) => () => new SelectorEventLoop(options as { selector: 'poll' });
    expect(make({ selector: 'nope' })).toThrow(ValueError);
    expect(make({ selector: 'nope' })).toThrow(/SelectorEventLoop\(\): unknown selector 'nope'; option selector must be one of/);
    expect(make({ selector: 42 })).toThrow(new TypeError('SelectorEventLoop(): option selector must be a string, got number'));
    expect(make('poll')).toThrow(TypeError);
  });

  it.runIf(process.platform === 'linux')('ProactorEventLoop is a loop on io_uring, not a SelectorEventLoop', async () => {
    const loop = new ProactorEventLoop();
    expect(loop.selector).toBe('io_uring');
    expect(loop).toBeInstanceOf(AbstractEventLoop);
    expect(loop).not.toBeInstanceOf(SelectorEventLoop);
    expect(String(loop)).toBe('<ProactorEventLoop selector=io_uring running=false closed=false debug=false>');
    loop.close();
    // As a loopFactory, and through a policy.
    expect(await run(async (l) => (l as unknown as ProactorEventLoop).selector, { loopFactory: () => new ProactorEventLoop() })).toBe('io_uring');
    class ProactorPolicy extends DefaultEventLoopPolicy {
      newEventLoop() {
        return new ProactorEventLoop();
      }
    }
    setEventLoopPolicy(new ProactorPolicy());
    const seen = await run(async () => (getEventLoop() as unknown as ProactorEventLoop).selector);
    expect(seen).toBe('io_uring');
  });

  it.runIf(process.platform !== 'linux')('ProactorEventLoop needs io_uring (Linux)', () => {
    expect(() => new ProactorEventLoop()).toThrow(NotImplementedError);
  });
});

describe('policies', () => {
  it('the default policy is a DefaultEventLoopPolicy', () => {
    const policy = getEventLoopPolicy();
    expect(policy).toBeInstanceOf(DefaultEventLoopPolicy);
    expect(getEventLoopPolicy()).toBe(policy);
    setEventLoopPolicy(null);
    expect(getEventLoopPolicy()).not.toBe(policy);
  });

  it('a TypeScript subclass chooses the loops newEventLoop() makes', async () => {
    setEventLoopPolicy(new SelectPolicy());
    const loop = newEventLoop() as SelectorEventLoop;
    expect(loop.selector).toBe('select');
    loop.close();
    // run() without a loop factory uses the policy, and sets the current loop meanwhile.
    const seen = await run(async (l) => [l.selector, getEventLoop() === l]);
    expect(seen).toEqual(['select', true]);
    expect(() => getEventLoop()).toThrow(RuntimeError);
  });

  it('setEventLoopPolicy refuses anything but a policy or null', () => {
    const bad = { newEventLoop: () => new EventLoop() } as unknown as AbstractEventLoopPolicy;
    expect(() => setEventLoopPolicy(bad)).toThrow(TypeError);
    expect(() => setEventLoopPolicy(bad)).toThrow(
      "policy must be an instance of AbstractEventLoopPolicy or None, not 'object'",
    );
  });

  it('getEventLoop: the policy\'s current loop, 3.14 behaviour without one', () => {
    expect(() => getEventLoop()).toThrow(new RuntimeError("There is no current event loop in thread 'MainThread'."));
    const loop = new EventLoop();
    setEventLoop(loop);
    expect(getEventLoop()).toBe(loop);
    expect(getEventLoopPolicy().getEventLoop()).toBe(loop);
    setEventLoop(null);
    expect(() => getEventLoop()).toThrow(RuntimeError);
    loop.close();
  });

  it('Runner without a factory sets and then unsets the current loop', async () => {
    const runner = new Runner();
    const loop = runner.getLoop();
    expect(getEventLoop()).toBe(loop);
    expect(await runner.run(() => 'sync values work too')).toBe('sync values work too');
    await runner.close();
    expect(loop.isClosed()).toBe(true);
    expect(() => getEventLoop()).toThrow(RuntimeError);
  });

  it('run() and Runner check their arguments', async () => {
    await expect(run(42 as unknown as Promise<number>)).rejects.toThrow(TypeError);
    await expect(run(async () => 1, { loopFactory: 'x' } as never)).rejects.toThrow(
      'run(): option loopFactory must be a function, got string',
    );
    expect(() => new Runner({ debug: 1 } as never)).toThrow('Runner(): option debug must be a boolean, got number');
    const runner = new Runner({ loopFactory: () => ({}) as unknown as EventLoop });
    expect(() => runner.getLoop()).toThrow(TypeError);
  });
});
