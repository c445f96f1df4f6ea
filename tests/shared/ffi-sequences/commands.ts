// The calls of a random sequence, as plain data (so fast-check can shrink
// them and print a failing one), and their generators. Each command names the
// objects it acts on by index; the world takes the index modulo what exists,
// and a command with nothing to act on does nothing. Browser-safe.
import fc from 'fast-check';
import { BEHAVIORS, type Behavior } from './peer.js';

export type Side = 'client' | 'server';

export type Command =
  | { op: 'server'; behavior: Behavior }
  | { op: 'connect'; server: number; behavior: Behavior }
  | { op: 'write'; conn: number; side: Side; size: number }
  | { op: 'writelines'; conn: number; side: Side; parts: number }
  | { op: 'writeEof'; conn: number; side: Side; thenWrite: boolean }
  | { op: 'close'; conn: number; side: Side; thenWrite: boolean }
  | { op: 'abort'; conn: number; side: Side; thenWrite: boolean }
  | { op: 'reading'; conn: number; side: Side; flips: number }
  | { op: 'limits'; conn: number; side: Side; high: number }
  | { op: 'serverCall'; server: number; call: ServerCall }
  | { op: 'streamServer' }
  | { op: 'streamOpen'; server: number }
  | { op: 'streamCall'; stream: number; call: StreamCall; size: number }
  | { op: 'future'; call: FutureCall }
  | { op: 'handle'; delay: number | null; cancel: CancelWhen }
  | { op: 'closeOwnLoop' }
  | { op: 'wait'; ticks: number; ms: number };

export const SERVER_CALLS = ['close', 'closeClients', 'abortClients', 'startServing', 'waitClosed', 'serveForeverCancel', 'sockets'] as const;
export type ServerCall = (typeof SERVER_CALLS)[number];

export const STREAM_CALLS = ['write', 'drain', 'read', 'readline', 'readexactly', 'writeEof', 'close', 'waitClosed', 'writeAfterClose'] as const;
export type StreamCall = (typeof STREAM_CALLS)[number];

export const FUTURE_CALLS = ['resultOfPending', 'setResultTwice', 'cancelThenSet', 'exceptionThenResult', 'doneCallbackRemoved', 'taskCancel'] as const;
export type FutureCall = (typeof FUTURE_CALLS)[number];

/** When a scheduled callback's handle is cancelled: before it runs, after it ran, twice, or never. */
export const CANCEL_WHEN = ['before', 'after', 'twice', 'never'] as const;
export type CancelWhen = (typeof CANCEL_WHEN)[number];

/** How a sequence ends. */
export const ENDINGS = [
  // everything closed, then every connection must have been lost exactly once
  'clean',
  // the body returns with servers waiting and connections open: the loop is closed under them
  'abandon',
  // a callback stops the loop while the sequence's task is still running; the loop is then closed
  'stop',
] as const;
export type Ending = (typeof ENDINGS)[number];

const index = fc.nat({ max: 7 });
const side = fc.constantFrom<Side>('client', 'server');
const behavior = fc.constantFrom(...BEHAVIORS);
/** Small writes mostly, and some large enough to fill the socket buffers (flow control). */
const size = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 512 }) }, { weight: 1, arbitrary: fc.constant(256 * 1024) });

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant('server' as const), behavior }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('connect' as const), server: index, behavior }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), conn: index, side, size }) },
  fc.record({ op: fc.constant('writelines' as const), conn: index, side, parts: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ op: fc.constant('writeEof' as const), conn: index, side, thenWrite: fc.boolean() }),
  fc.record({ op: fc.constant('close' as const), conn: index, side, thenWrite: fc.boolean() }),
  fc.record({ op: fc.constant('abort' as const), conn: index, side, thenWrite: fc.boolean() }),
  fc.record({ op: fc.constant('reading' as const), conn: index, side, flips: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant('limits' as const), conn: index, side, high: fc.integer({ min: 0, max: 128 * 1024 }) }),
  fc.record({ op: fc.constant('serverCall' as const), server: index, call: fc.constantFrom(...SERVER_CALLS) }),
  fc.record({ op: fc.constant('streamServer' as const) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('streamOpen' as const), server: index }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('streamCall' as const), stream: index, call: fc.constantFrom(...STREAM_CALLS), size }) },
  fc.record({ op: fc.constant('future' as const), call: fc.constantFrom(...FUTURE_CALLS) }),
  fc.record({
    op: fc.constant('handle' as const),
    delay: fc.option(fc.constantFrom(0, 0.001, -1), { nil: null }),
    cancel: fc.constantFrom(...CANCEL_WHEN),
  }),
  fc.record({ op: fc.constant('closeOwnLoop' as const) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('wait' as const), ticks: fc.integer({ min: 0, max: 3 }), ms: fc.constantFrom(0, 1, 5) }) },
);

/**
 * What a sequence starts with, so that most calls have something to act on:
 * one or two servers with connections to them, and a stream server with
 * stream connections. Shrinking may drop any of it.
 */
const setupArb: fc.Arbitrary<Command[]> = fc
  .record({
    servers: fc.array(fc.record({ op: fc.constant('server' as const), behavior }), { minLength: 1, maxLength: 2 }),
    connects: fc.array(fc.record({ op: fc.constant('connect' as const), server: index, behavior }), { minLength: 1, maxLength: 3 }),
    streams: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ servers, connects, streams }): Command[] => [
    ...servers,
    ...connects,
    ...(streams > 0 ? [{ op: 'streamServer' as const }] : []),
    ...Array.from({ length: streams }, (_, i): Command => ({ op: 'streamOpen', server: i })),
  ]);

export const sequenceArb = (maxCommands: number): fc.Arbitrary<{ commands: Command[]; ending: Ending }> =>
  fc.record({
    commands: fc
      .tuple(setupArb, fc.array(commandArb, { minLength: 1, maxLength: maxCommands, size: 'max' }))
      .map(([setup, rest]) => [...setup, ...rest]),
    ending: fc.constantFrom(...ENDINGS),
  });
