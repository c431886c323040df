// The floor's CommonJS twin (the `required` kind): undici's Pool required by its deep path, one
// request with the headers and body of a signed call, unsigned; then exit.
const start = performance.now();

async function main() {
  const Pool = require('undici/lib/dispatcher/pool.js');
  const imported = performance.now();
  const endpoint = new URL(process.env.BENCH_ENDPOINT);
  const pool = new Pool(endpoint.origin);
  const text = await new Promise((resolve, reject) => {
    const chunks = [];
    let status = 0;
    pool.dispatch(
      {
        origin: endpoint.origin,
        path: '/',
        method: 'POST',
        // The headers a signed request carries, with fixed values: same names, same sizes.
        headers: {
          host: endpoint.host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'TrentService.DisconnectCustomKeyStore',
          'x-amz-date': '20260101T000000Z',
          authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
          'user-agent': 'kms-custom-key-store/0.0.0 node/v20.0.0 linux/x64',
        },
        body: JSON.stringify({ CustomKeyStoreId: 'cks-1234567890abcdef0' }),
      },
      {
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (status === 200) resolve(Buffer.concat(chunks).toString());
          else reject(new Error(`HTTP ${status}`));
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
  JSON.parse(text);
  const responded = performance.now();
  const { user, system } = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ start, imported, responded, cpu: (user + system) / 1000 })}\n`,
  );
  process.exit(0);
}

main();
