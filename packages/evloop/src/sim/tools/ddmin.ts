// Delta debugging (Zeller and Hildebrandt's ddmin): the smallest sub-list of a
// failing list that still fails, as far as removing any one part shows
// (1-minimal). Browser-safe.

/** `items` cut into `n` contiguous chunks of near-equal size (none empty). */
function chunks<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    out.push(items.slice(start, end));
    start = end;
  }
  return out.filter((c) => c.length > 0);
}

/**
 * Reduces `items` (which fails) to a 1-minimal failing sub-list, keeping the
 * items' order. `fails(list)` resolves true when the run with `list` fails;
 * each distinct candidate is tried once.
 */
export async function ddmin<T>(items: T[], fails: (items: T[]) => Promise<boolean>): Promise<T[]> {
  const seen = new Map<string, boolean>();
  const test = async (indices: number[]): Promise<boolean> => {
    const key = indices.join(',');
    let failed = seen.get(key);
    if (failed === undefined) {
      failed = await fails(indices.map((i) => items[i] as T));
      seen.set(key, failed);
    }
    return failed;
  };
  let current = items.map((_, i) => i);
  if (current.length === 0) return [];
  if (await test([])) return [];
  let n = 2;
  while (current.length >= 2) {
    const parts = chunks(current, n);
    let next: number[] | null = null;
    for (const part of parts) {
      if (await test(part)) {
        next = part;
        n = 2;
        break;
      }
    }
    if (next === null) {
      for (let i = 0; i < parts.length && next === null; i++) {
        const complement = parts.filter((_, j) => j !== i).flat();
        if (await test(complement)) {
          next = complement;
          n = Math.max(n - 1, 2);
        }
      }
    }
    if (next !== null) {
      current = next;
      continue;
    }
    if (n >= current.length) break;
    n = Math.min(current.length, n * 2);
  }
  return current.map((i) => items[i] as T);
}
