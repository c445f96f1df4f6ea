// stale-register.mjs with one planted change: an extra host whose timer fires
// at t = 0.1. A replay of a stale-register trace with this program diverges
// at the record of that timer; the other hosts' own records stay the same.
import staleRegister from './stale-register.mjs';

export { nemesis, options, workload } from './stale-register.mjs';

/** The time of the planted event. */
export const PLANTED_AT = 0.1;

export default async function staleRegisterChanged(sim, input) {
  sim.host('probe').callAt(PLANTED_AT, function planted() {});
  await staleRegister(sim, input);
}
