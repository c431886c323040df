// Cold start of @aws-sdk/client-kms: import, construct, first response, exit.
const start = performance.now();

async function main() {
  const { KMSClient, DisconnectCustomKeyStoreCommand } = await import('@aws-sdk/client-kms');
  const imported = performance.now();
  const client = new KMSClient({
    region: 'us-east-1',
    endpoint: process.env.BENCH_ENDPOINT,
    credentials: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    },
  });
  await client.send(
    new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
  );
  const responded = performance.now();
  const { user, system } = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ start, imported, responded, cpu: (user + system) / 1000 })}\n`,
  );
  process.exit(0);
}

main();
