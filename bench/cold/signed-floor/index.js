// The smallest SigV4-signing KMS client we could write, installed as a package with an `exports`
// map like ours: the floor's request plus what no signed client can skip (resolving a package,
// node:crypto, a SigV4 signature) and nothing else: no configuration files, no credential chain,
// no validation beyond the ID's form, no retries, timeouts, typed errors or tracing. Its distance
// from the floor is the part of issue 25's gap no client of this stack can remove.
import { createHash, createHmac } from 'node:crypto';

const hmac = (key, text) => createHmac('sha256', key).update(text).digest();
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

export class SignedFloorClient {
  constructor({ region, endpoint, credentials }) {
    this.region = region;
    this.url = new URL(endpoint);
    this.credentials = credentials;
    // As the client does: undici's Pool by its deep path, loading while the call is prepared.
    this.pool = import('undici/lib/dispatcher/pool.js').then(
      ({ default: Pool }) => new Pool(this.url.origin),
    );
  }

  async disconnectCustomKeyStore(id) {
    if (!/^cks-[0-9a-f]{17}$/.test(id)) throw new TypeError('not a custom key store ID');
    const body = JSON.stringify({ CustomKeyStoreId: id });
    const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const headers = {
      'content-type': 'application/x-amz-json-1.1',
      host: this.url.host,
      'x-amz-date': amzDate,
      'x-amz-target': 'TrentService.DisconnectCustomKeyStore',
    };
    const names = Object.keys(headers).sort();
    const canonical = [
      'POST',
      '/',
      '',
      ...names.map((name) => `${name}:${headers[name]}`),
      '',
      names.join(';'),
      sha256(body),
    ].join('\n');
    const scope = `${day}/${this.region}/kms/aws4_request`;
    let key = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
    for (const part of [this.region, 'kms', 'aws4_request']) key = hmac(key, part);
    const signature = createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'))
      .digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    headers['user-agent'] = 'signed-floor/0.0.0';
    const pool = await this.pool;
    const text = await new Promise((resolve, reject) => {
      const chunks = [];
      let status = 0;
      pool.dispatch(
        { origin: this.url.origin, path: '/', method: 'POST', headers, body },
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
    return JSON.parse(text);
  }
}
