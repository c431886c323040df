/**
 * `kms-cks emulator`: runs the embedded KMS emulator in the foreground and prints how to point
 * clients at it, until SIGINT / SIGTERM.
 */
import {
  breakGlassCredentials,
  emulatorCredentials,
  startKmsEmulator,
  type XksLiveOptions,
} from '../emulator/index.js';
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import { type CommandName, parseDuration, UsageError } from './args.js';
import { formatTable, printable, type TextSink } from './output.js';
import { readCliFile } from './secrets.js';

/** The largest CA file `--xks-ca` reads. */
const maxCaFileBytes = 1024 * 1024;

/**
 * The live XKS options of `kms-cks emulator` (`--xks-live`, `--xks-ca`, `--xks-connect-to`,
 * `--xks-health-interval`, `--xks-timeout`), checked; undefined without `--xks-live`.
 * @throws UsageError for a value it cannot use, or an `--xks-*` option without `--xks-live`.
 */
export async function xksCliOptions(
  values: Record<string, string | boolean | string[] | undefined>,
  command: CommandName,
): Promise<XksLiveOptions | undefined> {
  if (values['xks-live'] !== true) {
    for (const option of ['xks-ca', 'xks-connect-to', 'xks-health-interval', 'xks-timeout']) {
      if (values[option] !== undefined) {
        throw new UsageError(`--${option} goes with --xks-live`, command);
      }
    }
    return undefined;
  }
  const options: XksLiveOptions = { mode: 'live' };
  const connectTo = values['xks-connect-to'];
  if (typeof connectTo === 'string') {
    const routes: Record<string, string> = {};
    options.connectTo = routes;
    for (const item of connectTo.split(',')) {
      const match =
        /^([A-Za-z0-9.-]+):(\d{1,5}):(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(
          item.trim(),
        );
      const ports = match ? [Number(match[2]), Number(match[4])] : [];
      if (!match || ports.some((port) => port < 1 || port > 65535)) {
        throw new UsageError(
          `--xks-connect-to takes HOST:PORT:ADDR:PORT (e.g. xks.example.com:443:127.0.0.1:8443), got '${item.trim()}'`,
          command,
        );
      }
      routes[`${match[1]!.toLowerCase()}:${match[2]}`] = `${match[3]}:${match[4]}`;
    }
  }
  const interval = values['xks-health-interval'];
  if (typeof interval === 'string') {
    options.healthCheckIntervalMs = /^0+(?:\.0+)?(?:ms|s|m|h)?$/.test(interval.trim())
      ? 0
      : parseDuration(interval, 'xks-health-interval', command);
  }
  const timeout = values['xks-timeout'];
  if (typeof timeout === 'string') {
    options.timeoutMs = parseDuration(timeout, 'xks-timeout', command);
    if (options.timeoutMs < 1 || options.timeoutMs > 60_000) {
      throw new UsageError(`--xks-timeout must be between 1ms and 60s, got '${timeout}'`, command);
    }
  }
  const caFile = values['xks-ca'];
  if (typeof caFile === 'string') options.ca = await readCaFile(caFile, command);
  return options;
}

/**
 * Reads a PEM CA file without blocking on a FIFO or reading a huge file (see {@link readCliFile}):
 * a regular file of at most 1 MiB, holding at least one certificate.
 */
async function readCaFile(path: string, command: CommandName): Promise<string> {
  const text = await readCliFile(path, '--xks-ca', {
    maxBytes: maxCaFileBytes,
    owners: 'anyone',
    command,
  });
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(
      `--xks-ca ${path}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`,
      command,
    );
  }
  return text;
}

/** What `runEmulator` needs from the CLI. */
export interface EmulatorIo {
  /** Where the banner goes. */
  stdout: TextSink;
  /** Aborting it stops the emulator; without one it runs until the process ends. */
  signal?: AbortSignal;
}

/**
 * Starts the emulator with its default key stores (in each region of `regions`, the first being
 * the primary one), prints its URL, its stores and the environment to use it, and resolves with
 * exit code 0 once `io.signal` aborts and it is closed.
 */
export async function runEmulator(
  options: { port?: number; host?: string; regions?: readonly string[]; xks?: XksLiveOptions },
  io: EmulatorIo,
): Promise<number> {
  const emulator = await startKmsEmulator({
    port: options.port,
    host: options.host,
    regions: options.regions,
    ...(options.xks && { xks: options.xks }),
  });
  try {
    const tables = emulator.regions.flatMap((region) => {
      const stores: CustomKeyStoreEntry[] = [...emulator.inRegion(region).keyStores.values()].map(
        (store) => ({
          customKeyStoreId: store.id,
          customKeyStoreName: store.name,
          customKeyStoreType: store.type,
          connectionState: store.connectionState,
          connectionErrorCode: store.connectionErrorCode,
          creationDate: store.creationDate,
        }),
      );
      return emulator.regions.length > 1
        ? [`${region}:`, formatTable(stores)]
        : [formatTable(stores)];
    });
    const regionNote =
      emulator.regions.length > 1
        ? [`# other regions: --region ${emulator.regions.slice(1).join(',')} (same endpoint)`]
        : [];
    io.stdout.write(
      [
        `KMS emulator listening on ${emulator.url} (${emulator.regions.length > 1 ? 'regions' : 'region'} ${emulator.regions.join(', ')})`,
        '',
        ...tables,
        // The emulator's keys are AWS's published example pair: they open nothing anywhere else.
        'Point kms-cks, the AWS CLI or an SDK at it:',
        `  export AWS_ENDPOINT_URL_KMS=${emulator.url}`,
        `  export AWS_REGION=${emulator.region}`,
        `  export AWS_ACCESS_KEY_ID=${emulatorCredentials.accessKeyId}`,
        `  export AWS_SECRET_ACCESS_KEY=${emulatorCredentials.secretAccessKey}`,
        ...regionNote.map((line) => `  ${line}`),
        '',
        'Rehearse the kill switch with a break-glass credential that may only Disconnect',
        '(every other call, Describe included, gets AccessDeniedException):',
        `  AWS_ACCESS_KEY_ID=${breakGlassCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${breakGlassCredentials.secretAccessKey} kms-cks disconnect <id>`,
        '',
        ...xksBanner(options.xks),
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      if (io.signal?.aborted) resolve();
      else io.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await emulator.close();
  }
  io.stdout.write('Emulator stopped.\n');
  return 0;
}

/** What the banner says about live XKS. */
function xksBanner(xks: XksLiveOptions | undefined): string[] {
  if (!xks) return [];
  const routes = Object.entries(xks.connectTo ?? {}).map(([from, to]) => `${from} -> ${to}`);
  const interval = xks.healthCheckIntervalMs ?? 60_000;
  return [
    'Live XKS: connecting an external key store with a public endpoint and a proxy credential',
    "sends GetHealthStatus to its proxy; the proxy's answer decides CONNECTED or FAILED.",
    'The default stores have no proxy credential and stay simulated, as do VPC endpoint service stores.',
    `  extra CA: ${xks.ca ? 'yes (--xks-ca)' : 'none (public CAs only)'}`,
    ...(routes.length > 0 ? [`  connect-to: ${printable(routes.join(', '))}`] : []),
    `  KmsHealthCheck: ${interval === 0 ? 'off' : `every ${interval / 1000}s while CONNECTED`}`,
    `  proxy budget: ${xks.timeoutMs ?? 250}ms per call${xks.timeoutMs === undefined || xks.timeoutMs === 250 ? " (KMS's)" : " (KMS's is 250ms)"}`,
    '',
  ];
}
