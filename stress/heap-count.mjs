// Live objects by constructor in V8 heap snapshots (stress/rss-probe.mjs
// --snapshots writes them): with two snapshots, the constructors whose count
// grew most between them. A count that grows with the connections served is
// something kept per connection.
//
//   node stress/heap-count.mjs BEFORE.heapsnapshot [AFTER.heapsnapshot] [--top 25]
import fs from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((a, i) => !a.startsWith('--') && i !== topAt + 1);

/** Map "type name" -> { count, bytes } over a snapshot's nodes. */
function countNodes(file) {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const at = (name) => fields.indexOf(name);
  const [iType, iName, iSize] = [at('type'), at('name'), at('self_size')];
  const counts = new Map();
  const { nodes, strings } = snap;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]];
    // Strings and code are named by their contents: group them by type only.
    const name = type === 'object' || type === 'closure' || type === 'native' ? strings[nodes[i + iName]] : '';
    const key = `${type} ${name}`.trim();
    const entry = counts.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += nodes[i + iSize];
    counts.set(key, entry);
  }
  return counts;
}

const before = countNodes(files[0]);
if (files.length === 1) {
  const rows = [...before].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
  for (const [key, { count, bytes }] of rows) console.log(`${String(count).padStart(9)} ${String(bytes).padStart(11)} B  ${key}`);
} else {
  const after = countNodes(files[1]);
  const keys = new Set([...before.keys(), ...after.keys()]);
  const diff = [...keys].map((key) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    const a = after.get(key) ?? { count: 0, bytes: 0 };
    return { key, before: b.count, after: a.count, bytes: a.bytes - b.bytes };
  });
  diff.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes));
  console.log('    before     after   Δ bytes  type and constructor');
  for (const d of diff.slice(0, top)) {
    console.log(`${String(d.before).padStart(10)}${String(d.after).padStart(10)}${String(d.bytes).padStart(10)}  ${d.key}`);
  }
  const total = (m) => [...m.values()].reduce((s, e) => s + e.bytes, 0);
  console.log(`total self size: ${total(before)} -> ${total(after)} bytes`);
}
