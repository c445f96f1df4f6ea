// The argument checks shared by Host and Simulation: each returns the
// value (or its normalised form) or throws a TypeError naming the call.
// Those of replay, buggify and schedule are in power.js.

import { hostGroup, latencyPair, typeName } from './util.js';

// Options objects are checked as the networking calls check theirs.
export { optionsArg } from '../src/net-args.js';

export function checkName(call, name) {
  if (typeof name !== 'string') throw new TypeError(`${call}(): a host name must be a string, got ${typeName(name)}`);
  return name;
}

export function groupArg(call, group, which) {
  const hosts = hostGroup(group);
  if (hosts !== undefined) return hosts;
  throw new TypeError(`${call}(): ${which} must be a host name or an array of host names, got ${typeName(group)}`);
}

export function numberArg(call, name, value) {
  if (typeof value !== 'number') throw new TypeError(`${call}(): ${name} must be a number, got ${typeName(value)}`);
  return value;
}

export function latencyArg(call, latency) {
  const pair = latencyPair(latency);
  if (pair !== undefined) return pair;
  throw new TypeError(`${call}(): latency must be a number of seconds or [min, max], got ${typeName(latency)}`);
}
