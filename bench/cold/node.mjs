// A `node` process that does nothing: the start-up every cold start above includes.
const start = performance.now();
process.stdout.write(`${JSON.stringify({ start, imported: start, responded: start })}\n`);
process.exit(0);
