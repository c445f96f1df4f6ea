// asyncio's toolkit over the package's Futures and Tasks: one implementation for Node's loops
// and simulated hosts (package functions use the running loop, as asyncio's do). Exported by
// both entries ("evloop" and "evloop/sim"). docs/tasks.md, "Toolkit".

export { asCompleted, AsCompletedIterator, type AsCompletedOptions } from './as-completed.js';
export { Barrier } from './barrier.js';
export { BaseExceptionGroup, BrokenBarrierError, ExceptionGroup, QueueEmpty, QueueFull, QueueShutDown } from './errors.js';
export { gather, GatheringFuture, type GatherOptions } from './gather.js';
export { BoundedSemaphore, Condition, Event, Lock, Semaphore } from './locks.js';
export { defaultCompare, LifoQueue, PriorityQueue, Queue, type Compare, type PriorityQueueOptions, type QueueOptions } from './queues.js';
export { shield } from './shield.js';
export { sleep } from './sleep.js';
export { TaskGroup } from './task-group.js';
export type { Awaitable } from './tasks.js';
export { Timeout, timeout, timeoutAt } from './timeouts.js';
export { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, wait, type ReturnWhen, type WaitOptions } from './wait.js';
export { waitFor } from './wait-for.js';
