// The playground mounted on the test page, the same way in every playground test.
import { afterEach } from 'vitest';
import * as sim from 'evloop/sim';
import * as tools from 'evloop/sim/tools';
import { mount, type Playground } from '../../packages/playground/app.js';

/**
 * Call at the top of a test file: registers the clean-up (the playground of
 * each test is destroyed after it) and returns `mounted(name?, seed?)`, which
 * mounts a playground on the page, waits until it is ready and, given a
 * scenario, resets it to that scenario and seed.
 */
export function usePlayground(): (name?: string, seed?: number) => Promise<Playground> {
  let current: Playground | null = null;
  afterEach(() => {
    current?.destroy();
    current = null;
  });
  return async (name, seed) => {
    current = mount(document.body, sim, tools);
    await current.ready;
    if (name !== undefined) await current.reset(name, seed ?? 0);
    return current;
  };
}
