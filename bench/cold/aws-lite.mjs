// Cold start of @aws-lite/client: import, construct, first response, exit.
const start = performance.now();

async function main() {
  const { default: awsLite } = await import('@aws-lite/client');
  const imported = performance.now();
  const aws = await awsLite({
    region: 'us-east-1',
    endpoint: process.env.BENCH_ENDPOINT,
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    autoloadPlugins: false,
  });
  await aws({
    service: 'kms',
    path: '/',
    headers: {
      'X-Amz-Target': 'TrentService.DisconnectCustomKeyStore',
      'content-type': 'application/x-amz-json-1.1',
    },
    payload: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
  });
  const responded = performance.now();
  const { user, system } = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ start, imported, responded, cpu: (user + system) / 1000 })}\n`,
  );
  process.exit(0);
}

main();
