// Placeholder until the Node entry moves here from legacy/src.
export * from '../core/errors.js';
