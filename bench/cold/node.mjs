// A `node` process that does nothing: the start-up every cold start above includes.
const start = performance.now();
const { user, system } = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ start, imported: start, responded: start, cpu: (user + system) / 1000 })}\n`,
);
process.exit(0);
