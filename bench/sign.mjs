/**
 * Signing alone: the client's signer with node:crypto (the default on Node) against the portable
 * path (@smithy/signature-v4 with @aws-crypto/sha256-js) and against smithy with a node:crypto
 * hash, on the request every DisconnectCustomKeyStore call signs. Also checks that all three give
 * the same headers. Run by run.mjs with the path of the signer module built from src/request/sign.ts;
 * prints one JSON line.
 */
import { createHash, createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { SignatureV4 } from '@smithy/signature-v4';

const [signerModule, roundsArg] = process.argv.slice(2);
if (!signerModule) throw new Error('usage: sign.mjs <built sign module> [rounds]');
const { createRequestSigner } = await import(pathToFileURL(signerModule).href);

/** A `sha256` constructor for smithy over node:crypto: a hash, or an HMAC when given a secret. */
class NodeSha256 {
  constructor(secret) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const request = () => ({
  hostname: '127.0.0.1',
  port: 43210,
  headers: {
    host: '127.0.0.1:43210',
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'TrentService.DisconnectCustomKeyStore',
  },
  body: '{"CustomKeyStoreId":"cks-1234567890abcdef0"}',
});

function smithy(sha256) {
  const signer = new SignatureV4({
    service: 'kms',
    region: 'us-east-1',
    credentials,
    sha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  return {
    async sign(req, _credentials, signingDate) {
      const signed = await signer.sign(
        { method: 'POST', protocol: 'https:', path: '/', query: {}, ...req },
        { signingDate },
      );
      return signed.headers;
    },
  };
}

const variants = {
  'node:crypto (default)': createRequestSigner('us-east-1', { hash: 'node' }),
  'portable: smithy + sha256-js': createRequestSigner('us-east-1', { hash: 'portable' }),
  'smithy + node:crypto hash': smithy(NodeSha256),
};

const date = new Date();
const reference = JSON.stringify(
  await variants['node:crypto (default)'].sign(request(), credentials, date),
);
for (const [name, signer] of Object.entries(variants)) {
  const headers = JSON.stringify(await signer.sign(request(), credentials, date));
  if (headers !== reference)
    throw new Error(`${name} signs differently: ${headers} vs ${reference}`);
}

const rounds = Number(roundsArg ?? 5);
const calls = 20_000;
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < rounds + 1; round++) {
  for (const [name, signer] of Object.entries(variants)) {
    const begin = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await signer.sign(request(), credentials, new Date());
    // Round 0 warms up.
    if (round > 0) samples[name].push(Number(process.hrtime.bigint() - begin) / calls / 1000);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
process.stdout.write(
  `${JSON.stringify(Object.fromEntries(Object.entries(samples).map(([n, s]) => [n, median(s)])))}\n`,
);
