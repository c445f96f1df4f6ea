// The options of `new Simulation(options)`, checked and given their
// defaults, in the order SimulationCore's constructor takes them.
// Browser-safe.

import { repr } from '../core/format.js';
import { optionsArg } from '../core/net/args.js';
import { typeName } from '../core/values.js';
import { latencyArg, numberArg } from './args.js';
import { buggifyOption, replayOption, type BuggifyMode, type ReplayArgs } from './power.js';

/** The keys `new Simulation(options)` (and `checkDeterminism`) accept. */
export const SIM_KEYS = ['seed', 'latency', 'loss', 'connectTimeout', 'streamTimeout', 'trace', 'microtaskTurns', 'replay', 'buggify'];

/** The options, checked, with their defaults. */
export interface CoreOptions {
  seed: number;
  latency: [number, number];
  loss: number;
  connectTimeout: number;
  streamTimeout: number;
  trace: boolean;
  /** Not the core's: the driver's (drain.ts); undefined: the exact drain. */
  microtaskTurns: number | undefined;
  replay: ReplayArgs | undefined;
  buggify: [BuggifyMode, string[]];
}

/** Checks `options`; a TypeError or RangeError names `call` and the option. */
export function simulationOptions(call: string, options: unknown): CoreOptions {
  const o = optionsArg(call, options, SIM_KEYS) as Record<string, unknown>;
  const seed = o['seed'] ?? 0;
  if (typeof seed !== 'number') throw new TypeError(`${call}(): seed must be an integer, got ${typeName(seed)}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${call}(): seed must be a safe integer, got ${seed}`);
  const latency = o['latency'] === undefined ? ([0.001, 0.005] as [number, number]) : latencyArg(call, o['latency']);
  const loss = o['loss'] === undefined ? 0 : numberArg(call, 'loss', o['loss']);
  const connectTimeout = o['connectTimeout'] === undefined ? 10 : numberArg(call, 'connectTimeout', o['connectTimeout']);
  const streamTimeout = o['streamTimeout'] === undefined ? 30 : numberArg(call, 'streamTimeout', o['streamTimeout']);
  const trace = o['trace'] ?? true;
  if (typeof trace !== 'boolean') throw new TypeError(`${call}(): trace must be a boolean, got ${typeName(trace)}`);
  // Absent: the driver waits for the microtask queue to drain (drain.ts); a number keeps the
  // rule of earlier versions (so many idle turns), which traces recorded with it replay with.
  const turns = o['microtaskTurns'] ?? undefined;
  if (turns !== undefined && (typeof turns !== 'number' || !Number.isInteger(turns) || turns < 1)) {
    throw new RangeError(`${call}(): microtaskTurns must be an integer >= 1, got ${repr(turns)}`);
  }
  const replay = replayOption(call, o['replay']);
  const buggify = buggifyOption(call, o['buggify']);
  return { seed, latency, loss, connectTimeout, streamTimeout, trace, microtaskTurns: turns, replay, buggify };
}
