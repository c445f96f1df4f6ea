// The public names of processes and pipes, shared by "evloop" and "evloop/sim".
// Browser-safe.

export { PIPE, STDOUT, DEVNULL, type ProcessOptions, type StdioTarget, type SubprocessOptions } from './args.js';
export { SubprocessTransport, type SubprocessProtocol } from './subprocess-transport.js';
export { Process, createSubprocessExec, createSubprocessShell } from './process.js';
