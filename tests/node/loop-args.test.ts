// Bad arguments: a clear TypeError / RangeError / ValueError naming the call
// and the argument, never a crash (every native method catches panics).
import { describe, expect, it } from 'vitest';
import { Future, ValueError } from 'evloop';
import { makeLoop } from './loop-helpers.js';

type Loose = Record<string, (...a: unknown[]) => unknown>;

describe('argument errors', () => {
  it('times', () => {
    const loop = makeLoop() as unknown as Loose;
    const cb = () => {};
    const cases: [() => unknown, ErrorConstructor | RangeErrorConstructor, string][] = [
      [() => loop.callLater('1', cb), TypeError, 'callLater(): delay must be a number, got string'],
      [() => loop.callLater({}, cb), TypeError, 'callLater(): delay must be a number, got object'],
      [() => loop.callLater(1n, cb), TypeError, 'callLater(): delay must be a number, got bigint'],
      [() => loop.callLater(NaN, cb), RangeError, 'callLater(): delay must not be NaN'],
      [() => loop.callAt(NaN, cb), RangeError, 'callAt(): when must not be NaN'],
      [() => loop.callAt(true, cb), TypeError, 'callAt(): when must be a number, got boolean'],
      [() => loop.callLater(null, cb), TypeError, 'delay must not be None'],
      [() => loop.callAt(undefined, cb), TypeError, 'when cannot be None'],
    ];
    for (const [call, cls, message] of cases) {
      expect(call).toThrow(cls);
      expect(call).toThrow(message);
    }
  });

  it('infinite delays are accepted (never / already due)', async () => {
    const loop = makeLoop();
    const seen: string[] = [];
    loop.callLater(Infinity, () => seen.push('never'));
    loop.callLater(-Infinity, () => seen.push('due'));
    loop.callLater(0.001, () => loop.stop());
    await loop.runForever();
    expect(seen).toEqual(['due']);
  });

  it('callbacks', () => {
    const loop = makeLoop() as unknown as Loose;
    expect(() => loop.callSoon(1)).toThrow(new TypeError('a callable object was expected by callSoon(), got 1'));
    expect(() => loop.callSoon('f')).toThrow("a callable object was expected by callSoon(), got 'f'");
    expect(() => loop.callSoon({})).toThrow('a callable object was expected by callSoon(), got an object');
    expect(() => loop.callLater(1, null)).toThrow('a callable object was expected by callLater(), got null');
    expect(() => loop.callAt(1)).toThrow('a callable object was expected by callAt(), got undefined');
    expect(() => loop.callSoonThreadsafe(Symbol('s'))).toThrow(
      'a callable object was expected by callSoonThreadsafe(), got a symbol',
    );
    expect(() => loop.addWriter(1, 5)).toThrow('a callable object was expected by addWriter(), got 5');
    expect(() => loop.createRemote(5)).toThrow(TypeError);
  });

  it('loop settings and handlers', () => {
    const loop = makeLoop();
    const loose = loop as unknown as Loose & { slowCallbackDuration: unknown };
    expect(() => loose.setDebug(1)).toThrow(new TypeError('setDebug(): enabled must be a boolean, got number'));
    expect(() => {
      loose.slowCallbackDuration = '1';
    }).toThrow(new TypeError('slowCallbackDuration must be a number, got string'));
    expect(() => {
      loose.slowCallbackDuration = NaN;
    }).toThrow(RangeError);
    expect(() => {
      loose.slowCallbackDuration = -1;
    }).toThrow(RangeError);
    loop.slowCallbackDuration = 0.5;
    expect(loop.slowCallbackDuration).toBe(0.5);
    expect(() => loose.setExceptionHandler(undefined)).toThrow(
      'A callable object or None is expected, got undefined',
    );
    expect(() => loose.callExceptionHandler('ctx')).toThrow(
      new TypeError('callExceptionHandler(): context must be an object, got string'),
    );
    expect(() => loose.defaultExceptionHandler(null)).toThrow(TypeError);
  });

  it('futures and tasks', () => {
    const loop = makeLoop();
    expect(() => new Future({} as never)).toThrow(new TypeError('Future(): loop must be an event loop, got object'));
    expect(() => loop.createFuture().setException(undefined)).toThrow(
      'setException(): exception must be an Error, got undefined',
    );
    expect(() => loop.createTask(async () => 1, { name: 3 as unknown as string })).toThrow(
      'Task(): name must be a string, got number',
    );
    expect(() => loop.createTask('x' as never)).toThrow("a coroutine was expected, got 'x'");
  });

  it('fds', () => {
    const loop = makeLoop() as unknown as Loose;
    expect(() => loop.addReader(2 ** 40, () => {})).toThrow(ValueError);
    expect(() => loop.removeWriter(NaN)).toThrow(ValueError);
    expect(() => loop.removeWriter(undefined)).toThrow(
      'removeWriter(): fd must be an integer or an object with a fileno() method, got undefined',
    );
  });
});
