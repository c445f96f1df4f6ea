// Argument checks of the simulation's power tools (replay, schedule,
// buggify), kept apart from args.ts: each turns a JS value into what
// SimulationCore takes, or throws a TypeError/ValueError naming the call
// and the argument. Browser-safe.

import { resolveSignal } from '../core/signals.js';
import { ValueError } from '../core/errors.js';
import { repr } from '../core/format.js';
import { typeName } from '../core/values.js';
import { hostGroup, latencyPair } from './args.js';
import type { FaultName } from './types.js';

/** The `replay` option flattened for the binding: stream names, their lengths, all values. */
export interface ReplayArgs {
  names: string[];
  lengths: Uint32Array;
  values: Float64Array;
}

/** The `replay` option (a `sim.decisions()` object) flattened for the binding, or undefined without one. */
export function replayOption(call: string, replay: unknown): ReplayArgs | undefined {
  if (replay === undefined || replay === null) return undefined;
  if (typeof replay !== 'object' || Array.isArray(replay)) {
    throw new TypeError(`${call}(): replay must be an object of number arrays (sim.decisions()), got ${typeName(replay)}`);
  }
  const names: string[] = [];
  const lengths: number[] = [];
  const values: number[] = [];
  for (const [name, list] of Object.entries(replay as Record<string, unknown>)) {
    if (!Array.isArray(list)) {
      throw new TypeError(`${call}(): replay stream ${repr(name)} must be an array of numbers, got ${typeName(list)}`);
    }
    list.forEach((x: unknown, i) => {
      if (typeof x !== 'number') {
        throw new TypeError(`${call}(): replay stream ${repr(name)} value ${i} must be a number, got ${typeName(x)}`);
      }
      if (!(x >= 0 && x < 1)) {
        throw new ValueError(`${call}(): replay stream ${repr(name)} value ${i} must be in [0, 1), got ${x}`);
      }
    });
    names.push(name);
    lengths.push(list.length);
    values.push(...(list as number[]));
  }
  return { names, lengths: Uint32Array.from(lengths), values: Float64Array.from(values) };
}

/** The binding's buggify modes: 0 none, 1 all, 2 only the names given. */
export type BuggifyMode = 0 | 1 | 2;

/** The `buggify` option: `[mode, names]`. */
export function buggifyOption(call: string, buggify: unknown): [BuggifyMode, string[]] {
  if (buggify === undefined || buggify === null || buggify === false) return [0, []];
  if (buggify === true) return [1, []];
  if (Array.isArray(buggify) && buggify.every((n) => typeof n === 'string')) return [2, [...(buggify as string[])]];
  throw new TypeError(`${call}(): buggify must be a boolean or an array of fault point names, got ${typeName(buggify)}`);
}

/** Checks `buggify(name, p)`. */
export function buggifyArgs(call: string, name: unknown, p: unknown): asserts name is string {
  if (typeof name !== 'string') throw new TypeError(`${call}(): name must be a string, got ${typeName(name)}`);
  if (name === '') throw new ValueError(`${call}(): name must not be empty`);
  if (typeof p !== 'number') throw new TypeError(`${call}(): p must be a number, got ${typeName(p)}`);
  if (!(p >= 0 && p <= 1)) throw new ValueError(`${call}(): p must be a probability in [0, 1], got ${p}`);
}

/** The keys each fault takes (besides `fault`, and `at`, which is ignored). */
const FAULT_KEYS: Record<FaultName, readonly string[]> = {
  partition: ['a', 'b', 'oneWay'],
  heal: ['a', 'b'],
  hold: ['a', 'b'],
  release: ['a', 'b'],
  link: ['a', 'b', 'latency', 'loss', 'oneWay'],
  crash: ['host'],
  restart: ['host'],
  pause: ['host'],
  resume: ['host'],
  skew: ['host', 'seconds'],
  signal: ['host', 'sig'],
};

/** A fault as SimulationCore.schedule takes it (groups and pairs as arrays). */
export interface FaultArgs {
  fault: FaultName;
  a?: string[] | undefined;
  b?: string[] | undefined;
  host?: string;
  seconds?: number;
  latencyMin?: number;
  latencyMax?: number;
  loss?: number;
  oneWay: boolean;
  /** A signal fault's number. */
  sig?: number;
}

/**
 * A fault object (the shape of a trace fault record) as the binding's
 * arguments. ValueError for anything else, naming `call` and the field.
 */
export function faultArgs(call: string, fault: unknown): FaultArgs {
  const bad = (what: string): ValueError => new ValueError(`${call}(): fault${what}`);
  if (fault === null || typeof fault !== 'object' || Array.isArray(fault)) {
    throw bad(` must be an object { fault: 'partition' | 'heal' | ..., ... }, got ${typeName(fault)}`);
  }
  const f = fault as Record<string, unknown>;
  const kind = f['fault'];
  if (typeof kind !== 'string' || !Object.hasOwn(FAULT_KEYS, kind)) {
    throw bad(`.fault must be one of ${Object.keys(FAULT_KEYS).join(', ')}, got ${repr(kind)}`);
  }
  const keys = FAULT_KEYS[kind as FaultName];
  for (const key of Object.keys(f)) {
    if (key !== 'fault' && key !== 'at' && !keys.includes(key)) throw bad(`: unknown key '${key}' for a '${kind}' fault`);
  }
  const absent = (key: string): boolean => f[key] === undefined || f[key] === null;
  const name = (key: string): string => {
    const v = f[key];
    if (typeof v !== 'string') throw bad(`.${key} must be a host name, got ${typeName(v)}`);
    return v;
  };
  const group = (key: string): string[] => {
    const hosts = hostGroup(f[key]);
    if (hosts === undefined) throw bad(`.${key} must be a host name or an array of host names, got ${typeName(f[key])}`);
    return hosts;
  };
  const flag = (key: string): boolean => {
    const v = f[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw bad(`.${key} must be a boolean, got ${typeName(v)}`);
    return v;
  };
  const out: FaultArgs = { fault: kind as FaultName, oneWay: false };
  switch (out.fault) {
    case 'partition':
      Object.assign(out, { a: group('a'), b: group('b'), oneWay: flag('oneWay') });
      break;
    case 'heal':
      out.a = absent('a') ? undefined : group('a');
      out.b = absent('b') ? undefined : group('b');
      if (out.a === undefined && out.b !== undefined) throw bad('.b needs fault.a');
      break;
    case 'hold':
    case 'release':
      Object.assign(out, { a: [name('a')], b: [name('b')] });
      break;
    case 'link': {
      Object.assign(out, { a: [name('a')], b: [name('b')], oneWay: flag('oneWay') });
      const latency = f['latency'];
      if (latency !== undefined && latency !== null) {
        const pair = latencyPair(latency);
        if (pair === undefined) throw bad(`.latency must be a number of seconds or [min, max], got ${typeName(latency)}`);
        const [lo, hi] = pair;
        if (!(lo >= 0 && hi >= lo && Number.isFinite(hi))) throw bad(`.latency must satisfy 0 <= min <= max, got [${lo}, ${hi}]`);
        Object.assign(out, { latencyMin: lo, latencyMax: hi });
      }
      const loss = f['loss'];
      if (loss !== undefined && loss !== null) {
        if (typeof loss !== 'number' || !(loss >= 0 && loss <= 1)) throw bad(`.loss must be a probability in [0, 1], got ${repr(loss)}`);
        out.loss = loss;
      }
      break;
    }
    case 'skew': {
      out.host = name('host');
      const s = f['seconds'];
      if (typeof s !== 'number' || !Number.isFinite(s)) throw bad(`.seconds must be a finite number, got ${repr(s)}`);
      out.seconds = s;
      break;
    }
    case 'signal':
      out.host = name('host');
      out.sig = resolveSignal(call, f['sig']).num;
      break;
    default:
      out.host = name('host');
  }
  return out;
}
