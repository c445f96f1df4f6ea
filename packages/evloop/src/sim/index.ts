// Placeholder until the simulation entry moves here from legacy/sim.
export * from '../core/errors.js';
