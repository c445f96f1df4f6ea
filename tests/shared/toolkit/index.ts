// Every toolkit case body, for one target.
import type { Env } from './env.js';
import { combinatorCases } from './combinators.cases.js';
import { lockCases } from './locks.cases.js';
import { queueCases } from './queues.cases.js';
import { taskGroupCases } from './task-group.cases.js';
import { timeoutCases } from './timeouts.cases.js';

export { simEnv, simToolkitCases } from './sim.cases.js';

export function toolkitCases(env: Env, describe: (name: string, fn: () => void) => void): void {
  describe('sleep, waitFor, timeout', () => timeoutCases(env));
  describe('gather, shield, wait, asCompleted', () => combinatorCases(env));
  describe('TaskGroup', () => taskGroupCases(env));
  describe('queues', () => queueCases(env));
  describe('locks', () => lockCases(env));
}
