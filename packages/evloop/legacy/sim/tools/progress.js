// Progress of a sweep on stderr: a bar redrawn in place on a terminal, plain
// lines (at each tenth of the way) when stderr is a file or a pipe, so that
// logs stay readable. Node only (a stream with isTTY).

const BAR_WIDTH = 30;

/** `{ update(done, failures), finish(done, failures) }` writing to `stream` (default process.stderr). */
export function progressReporter(total, { stream = process.stderr, label = 'sweep' } = {}) {
  const tty = Boolean(stream.isTTY);
  let lastTenth = -1;
  const text = (done, failures) => `${done}/${total} seeds, ${failures} failure${failures === 1 ? '' : 's'}`;
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
