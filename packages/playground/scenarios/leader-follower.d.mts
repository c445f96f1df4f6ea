// Types of leader-follower.mjs (for the type-checked tests): a playground scenario, a program module
// of the simulation tools.
import type { Simulation } from 'evloop/sim';
import type { ProgramInput } from 'evloop/sim/tools';

export declare const label: string;
export declare const hosts: string[];
/** Simulation options but the seed. */
export declare const options: { latency: [number, number] };
/** Adds the hosts. */
export declare function setup(sim: Simulation): void;
/** Adds the hosts and runs to `input.until.events` (else a few virtual seconds). */
declare function leaderFollower(sim: Simulation, input?: Partial<ProgramInput>): Promise<void>;
export default leaderFollower;
