// The faults a user can apply from the page, as plain data: the shape of a trace `fault`
// record, the one `sim.schedule` takes and trace files keep (`input.faults`), so a run can be
// re-created from a list of them, exported, and replayed by `evloop-sim`.

const asGroup = (g) => (Array.isArray(g) ? g : [g]);

/** One line for the page: "partition client | server", "crash server". */
export function describeFault(fault) {
  const group = (g) => asGroup(g).join(',');
  if (fault.host !== undefined) return `${fault.fault} ${fault.host}${fault.seconds !== undefined ? ` ${fault.seconds}s` : ''}`;
  if (fault.a === undefined) return fault.fault;
  return `${fault.fault} ${group(fault.a)}${fault.b === undefined ? '' : ` | ${group(fault.b)}`}`;
}
