// Progress of a sweep: a bar redrawn in place on a terminal, plain lines (at
// each tenth of the way) when the stream is a file or a pipe, so that logs
// stay readable. The stream is passed in (Node's process.stderr for sweep),
// so this file needs no Node types.

const BAR_WIDTH = 30;

/** What the reporter writes to: Node's `process.stderr` has this shape. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressReporter {
  update(done: number, failures: number): void;
  finish(done: number, failures: number): void;
}

/** A reporter of `total` seeds writing to `stream`. */
export function progressReporter(total: number, { stream, label = 'sweep' }: { stream: ProgressStream; label?: string }): ProgressReporter {
  const tty = Boolean(stream.isTTY);
  let lastTenth = -1;
  const text = (done: number, failures: number): string => `${done}/${total} seeds, ${failures} failure${failures === 1 ? '' : 's'}`;
  return {
    update(done, failures) {
      if (tty) {
        const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${text(done, failures)}`);
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}: ${text(done, failures)}\n`);
      }
    },
    finish(done, failures) {
      if (tty) stream.write(`\r${label} ${text(done, failures)}${' '.repeat(BAR_WIDTH)}\n`);
      else if (lastTenth < 10) stream.write(`${label}: ${text(done, failures)} (stopped)\n`);
    },
  };
}
