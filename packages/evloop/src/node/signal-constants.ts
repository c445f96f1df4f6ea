// The platform's signal numbers (`os.constants.signals`) for the "evloop" entry: the names the
// loops accept and the constants API.md names (the simulation's are Linux's, core/signal-numbers.ts).

import { constants } from 'node:os';

const signals = constants.signals as Readonly<Record<string, number>>;

export const SIGHUP = signals.SIGHUP as number;
export const SIGINT = signals.SIGINT as number;
export const SIGUSR1 = signals.SIGUSR1 as number;
export const SIGUSR2 = signals.SIGUSR2 as number;
export const SIGTERM = signals.SIGTERM as number;
export const SIGCHLD = signals.SIGCHLD as number;
