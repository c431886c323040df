/**
 * The four ways to send DisconnectCustomKeyStore that the benchmark compares. Each factory imports
 * its client only when called, so that a worker process loads nothing but the client it measures.
 * Every client is given the same static credentials, region and endpoint, and reads no file.
 */
import { pathToFileURL } from 'node:url';

export const region = 'us-east-1';
export const storeId = 'cks-1234567890abcdef0';
export const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const target = 'TrentService.DisconnectCustomKeyStore';
const contentType = 'application/x-amz-json-1.1';

/**
 * @typedef {object} BenchClient
 * @property {() => Promise<unknown>} call one DisconnectCustomKeyStore call
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} endpoint `http://127.0.0.1:port`
 * @property {string} packageEntry absolute path of the built package's ESM entry (`dist/index.js`)
 */

/** @type {Record<string, { label: string, create: (options: ClientOptions) => Promise<BenchClient> }>} */
export const clients = {
  ours: {
    label: 'kms-custom-key-store',
    async create({ endpoint, packageEntry }) {
      const { KmsClient } = await import(pathToFileURL(packageEntry).href);
      const client = new KmsClient({ region, endpoint, credentials });
      return {
        call: () => client.disconnectCustomKeyStore(storeId),
        close: () => client.close(),
      };
    },
  },
  'aws-sdk': {
    label: '@aws-sdk/client-kms',
    async create({ endpoint }) {
      const { KMSClient, DisconnectCustomKeyStoreCommand } = await import('@aws-sdk/client-kms');
      const client = new KMSClient({ region, endpoint, credentials });
      return {
        call: () => client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId })),
        close: async () => client.destroy(),
      };
    },
  },
  'aws-lite': {
    label: '@aws-lite/client',
    async create({ endpoint }) {
      const { default: awsLite } = await import('@aws-lite/client');
      const aws = await awsLite({
        region,
        endpoint,
        ...credentials,
        autoloadPlugins: false,
        keepAlive: true,
      });
      return {
        call: () =>
          aws({
            service: 'kms',
            path: '/',
            headers: { 'X-Amz-Target': target, 'content-type': contentType },
            payload: { CustomKeyStoreId: storeId },
          }),
        close: async () => {},
      };
    },
  },
  floor: {
    label: 'undici request (floor)',
    async create({ endpoint }) {
      const { Agent } = await import('undici');
      // The same pool settings as the client's default agent.
      const agent = new Agent({ connections: 50, keepAliveTimeout: 4_000 });
      const origin = new URL(endpoint);
      const body = JSON.stringify({ CustomKeyStoreId: storeId });
      // The headers a signed request carries, with fixed values: same names, same sizes, no signing.
      const headers = {
        host: origin.host,
        'content-type': contentType,
        'x-amz-target': target,
        'x-amz-date': '20260101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${region}/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
        'user-agent': 'kms-custom-key-store/0.0.0 node/v20.0.0 linux/x64',
      };
      return {
        async call() {
          const response = await agent.request({
            origin: origin.origin,
            path: '/',
            method: 'POST',
            headers,
            body,
          });
          const text = await response.body.text();
          if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
          return JSON.parse(text);
        },
        close: () => agent.close(),
      };
    },
  },
};
