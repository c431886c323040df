// The CommonJS twin of ours.mjs (the `required` kind): require, construct, first response, exit.
const start = performance.now();

async function main() {
  const { KmsClient } = require('kms-custom-key-store');
  const imported = performance.now();
  const client = new KmsClient({
    region: 'us-east-1',
    endpoint: process.env.BENCH_ENDPOINT,
    credentials: {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    },
  });
  await client.disconnectCustomKeyStore('cks-1234567890abcdef0');
  const responded = performance.now();
  const { user, system } = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ start, imported, responded, cpu: (user + system) / 1000 })}\n`,
  );
  process.exit(0);
}

main();
