// A small seeded generator for the tools' own choices (workloads, swarm plans).
// Not the simulation's streams: those belong to the core and are recorded as
// decisions. This one only has to give the same numbers for the same seed and
// salt on every target, which plain 32-bit integer arithmetic does.
// Browser-safe.

/** FNV-1a over a string's UTF-16 units, 32 bits: mixes a salt into a seed. */
function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** One splitmix32 step: the next counter and a well-mixed 32-bit word from it. */
function mix32(x: number): [number, number] {
  const next = (x + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * `random()` in [0, 1) from `seed` (a safe integer) and `salt` (a string naming
 * the use, so that the workload and the fault plan of one seed are independent).
 * An xorshift128 generator seeded by splitmix32; 32 bits per draw are plenty here.
 */
export function seededRandom(seed: number, salt = ''): () => number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seededRandom(): seed must be a safe integer, got ${seed}`);
  const hi = Math.floor(seed / 0x100000000) >>> 0;
  const lo = seed >>> 0;
  let s = (lo ^ Math.imul(hi, 0x9e3779b1) ^ fnv1a32(String(salt))) >>> 0;
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const [next, word] = mix32(s);
    s = next;
    state[i] = word;
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return function random(): number {
    let t = state[3]!;
    const x = state[0]!;
    state[3] = state[2]!;
    state[2] = state[1]!;
    state[1] = x;
    t ^= t << 11;
    t ^= t >>> 8;
    state[0] = (t ^ x ^ (x >>> 19)) >>> 0;
    return state[0] / 0x100000000;
  };
}

/** An integer in [lo, hi] from `random`. */
export function randomInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** One element of a non-empty array. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}
