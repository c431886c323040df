/**
 * One client in its own process, driven by the benchmark over IPC, so that clients do not share
 * a heap, a JIT or an event loop. Arguments: client name, endpoint, package entry.
 *
 * Messages in: `{ type: 'run', calls, concurrency }` → `{ type: 'run', nsPerCall, cpuUsPerCall }`;
 * `{ type: 'memory', calls, concurrency, warmup }` → `{ type: 'memory', … }`; `{ type: 'exit' }`.
 */
import { clients } from './clients.mjs';

const [name, endpoint, packageEntry] = process.argv.slice(2);
const spec = clients[name ?? ''];
if (!spec || !endpoint || !packageEntry) {
  throw new Error('usage: worker.mjs <client> <endpoint> <package entry>');
}
const client = await spec.create({ endpoint, packageEntry });

/** Runs `calls` calls with `concurrency` in flight; returns the wall time in ns. */
async function run(calls, concurrency, onProgress) {
  const { ns } = await timed(calls, concurrency, onProgress);
  return ns;
}

/** Wall time (ns) and this process's CPU time (µs, user + system) of `calls` calls. */
async function timed(calls, concurrency, onProgress) {
  let started = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const begin = process.hrtime.bigint();
  const lane = async () => {
    while (started < calls) {
      started++;
      await client.call();
      done++;
      if (onProgress && done % 1000 === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ns = Number(process.hrtime.bigint() - begin);
  const { user, system } = process.cpuUsage(cpu);
  return { ns, cpuUs: user + system };
}

function heapAfterGc() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

/** Peak RSS over `calls` calls, and the heap after warm-up against the heap at the end. */
async function memory(calls, concurrency, warmup) {
  await run(warmup, concurrency);
  const heapAfterWarmup = heapAfterGc();
  const rssAfterWarmup = process.memoryUsage.rss();
  let peakRss = rssAfterWarmup;
  const samples = [];
  const ns = await run(calls, concurrency, (done) => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    if (done % 10_000 === 0)
      samples.push({ calls: done, rss, heapUsed: process.memoryUsage().heapUsed });
  });
  const rssAtEnd = process.memoryUsage.rss();
  const heapAtEnd = heapAfterGc();
  return {
    calls,
    concurrency,
    warmup,
    seconds: ns / 1e9,
    peakRss: Math.max(peakRss, rssAtEnd),
    rssAfterWarmup,
    rssAtEnd,
    heapAfterWarmup,
    heapAtEnd,
    samples,
  };
}

process.on('message', async (message) => {
  try {
    if (message.type === 'run') {
      const { ns, cpuUs } = await timed(message.calls, message.concurrency);
      process.send({
        type: 'run',
        nsPerCall: ns / message.calls,
        cpuUsPerCall: cpuUs / message.calls,
      });
    } else if (message.type === 'memory') {
      const result = await memory(message.calls, message.concurrency, message.warmup);
      process.send({ type: 'memory', ...result });
    } else if (message.type === 'exit') {
      await client.close();
      process.exit(0);
    }
  } catch (error) {
    process.send({ type: 'error', message: String(error?.stack ?? error) });
  }
});

// Check that the client gets an answer before anything is measured.
await client.call();
process.send({ type: 'ready' });
