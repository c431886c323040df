#!/usr/bin/env node
// First-credentials time of the native STS sources: web identity (AssumeRoleWithWebIdentity) and
// an assume-role profile (AssumeRole, signed), against a loopback fake of STS in this process.
// Each run is a fresh `node` that imports the built package, constructs a client and awaits
// `resolveConfig()` (which fetches the credentials). Median of N runs (default 15), after one
// warm-up run of each source. Only loopback traffic.
//
//   npm run build && node bench/first-credentials.mjs [--runs 15]
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('dist/index.js is missing: run `npm run build` first');
  process.exit(2);
}

const sts = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    const action = new URLSearchParams(body).get('Action');
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      `<${action}Response><${action}Result><Credentials><AccessKeyId>ASIABENCH</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>${expiration}</Expiration></Credentials></${action}Result></${action}Response>`,
    );
  });
});
await new Promise((resolve) => sts.listen(0, '127.0.0.1', resolve));
const stsUrl = `http://127.0.0.1:${sts.address().port}`;

const home = await mkdtemp(join(tmpdir(), 'kms-cks-bench-'));
await mkdir(join(home, '.aws'));
const tokenFile = join(home, 'token');
await writeFile(tokenFile, 'bench-token');
await writeFile(
  join(home, '.aws', 'config'),
  `[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n\n[profile admin]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n`,
);

const baseEnv = {
  PATH: process.env.PATH,
  HOME: home,
  AWS_REGION: 'eu-west-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL_STS: stsUrl,
};
const sources = {
  // The baseline: no request at all.
  'environment keys': {
    ...baseEnv,
    AWS_ACCESS_KEY_ID: 'AKIAENV',
    AWS_SECRET_ACCESS_KEY: 'env-secret',
  },
  'web identity (env)': {
    ...baseEnv,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: 'arn:aws:iam::1:role/r',
  },
  'assume role (profile)': { ...baseEnv, AWS_PROFILE: 'admin' },
};

const child = `
const t0 = performance.now();
const { KmsClient } = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const client = new KmsClient();
const config = await client.resolveConfig();
const t2 = performance.now();
await client.close();
process.stdout.write(JSON.stringify({ source: config.credentialSource, importMs: t1 - t0, credentialsMs: t2 - t1, sinceStartMs: t2 }));
`;

function runOnce(env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', child], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)),
    );
  });
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

try {
  console.log(`node ${process.version}, ${runs} fresh processes per source, median (min–max):`);
  for (const [name, env] of Object.entries(sources)) {
    await runOnce(env);
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await runOnce(env));
    const credentials = results.map((r) => r.credentialsMs);
    const total = results.map((r) => r.sinceStartMs);
    console.log(
      `${name} [${results[0].source}]: first credentials ${median(credentials).toFixed(1)} ms (${Math.min(...credentials).toFixed(1)}–${Math.max(...credentials).toFixed(1)}), import ${median(results.map((r) => r.importMs)).toFixed(1)} ms, process start to credentials ${median(total).toFixed(1)} ms`,
    );
  }
} finally {
  sts.close();
  await rm(home, { recursive: true, force: true });
}
