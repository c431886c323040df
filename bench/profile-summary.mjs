/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): self time by package (or node internals,
 * GC, idle) and the hottest functions. Usage: node bench/profile-summary.mjs <file.cpuprofile>
 * [top functions, default 25] [filter: only samples whose stack contains this text].
 */
import { readFileSync } from 'node:fs';

const [file, topArg, filter] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.mjs <file.cpuprofile> [top] [filter]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);

/** Where a function comes from: a package name, our dist, node internals, or a V8 pseudo-frame. */
function origin(callFrame) {
  const { url, functionName } = callFrame;
  if (!url) return `(${functionName || 'anonymous'})`;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1].startsWith('kms-custom-key-store') ? 'kms-custom-key-store' : match[1];
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\/.*\/(bench|src|dist)\//, '$1/');
}

function stackText(id) {
  const names = [];
  for (let current = id; current !== undefined; current = parent.get(current)) {
    const frame = nodes.get(current).callFrame;
    names.push(`${frame.functionName} ${frame.url}`);
  }
  return names.join('\n');
}

const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
let total = 0;
const byOrigin = new Map();
const byFunction = new Map();
for (const [id, micros] of dt) {
  if (filter && !stackText(id).includes(filter)) continue;
  const frame = nodes.get(id).callFrame;
  total += micros;
  const from = origin(frame);
  byOrigin.set(from, (byOrigin.get(from) ?? 0) + micros);
  const key = `${frame.functionName || '(anonymous)'}  ${from}:${frame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}
const pct = (micros) => `${((100 * micros) / total).toFixed(1).padStart(5)}%`;
const ms = (micros) => `${(micros / 1000).toFixed(1).padStart(8)} ms`;
console.log(`total ${ms(total)}${filter ? ` (stacks containing ${JSON.stringify(filter)})` : ''}`);
console.log('\nself time by origin:');
for (const [name, micros] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${pct(micros)} ${ms(micros)}  ${name}`);
}
console.log('\nhottest functions (self time):');
const top = Number(topArg ?? 25);
for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(micros)} ${ms(micros)}  ${name}`);
}
