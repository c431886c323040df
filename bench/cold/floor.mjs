// Cold start of a bare undici request (unsigned): import, first response, exit.
const start = performance.now();

async function main() {
  const { request } = await import('undici');
  const imported = performance.now();
  const response = await request(`${process.env.BENCH_ENDPOINT}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.DisconnectCustomKeyStore',
    },
    body: JSON.stringify({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
  });
  await response.body.json();
  const responded = performance.now();
  process.stdout.write(`${JSON.stringify({ start, imported, responded })}\n`);
  process.exit(0);
}

main();
