// The argument checks of Host and Simulation: each returns the value (or
// its normalised form) or throws a TypeError naming the call. Those of
// replay, buggify and schedule are in power.ts; options objects are checked
// as the networking calls check theirs (core/net). Browser-safe.

import { typeName } from '../core/values.js';

/** A host name or an array of host names, as an array (a copy); undefined for anything else. */
export function hostGroup(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return [...(value as string[])];
  return undefined;
}

/** A latency, seconds or `[min, max]`, as `[min, max]`; undefined for anything else. */
export function latencyPair(value: unknown): [number, number] | undefined {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((x) => typeof x === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  return undefined;
}

export function checkName(call: string, name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`${call}(): a host name must be a string, got ${typeName(name)}`);
  return name;
}

export function groupArg(call: string, group: unknown, which: string): string[] {
  const hosts = hostGroup(group);
  if (hosts !== undefined) return hosts;
  throw new TypeError(`${call}(): ${which} must be a host name or an array of host names, got ${typeName(group)}`);
}

export function numberArg(call: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${call}(): ${name} must be a number, got ${typeName(value)}`);
  return value;
}

export function latencyArg(call: string, latency: unknown): [number, number] {
  const pair = latencyPair(latency);
  if (pair !== undefined) return pair;
  throw new TypeError(`${call}(): latency must be a number of seconds or [min, max], got ${typeName(latency)}`);
}
