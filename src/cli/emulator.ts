/**
 * `kms-cks emulator`: runs the embedded KMS emulator in the foreground and prints how to point
 * clients at it, until SIGINT / SIGTERM.
 */
import { breakGlassCredentials, emulatorCredentials, startKmsEmulator } from '../emulator/index.js';
import type { CustomKeyStoreEntry } from '../operations/operations.js';
import { formatTable, type TextSink } from './output.js';

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
  options: { port?: number; host?: string; regions?: readonly string[] },
  io: EmulatorIo,
): Promise<number> {
  const emulator = await startKmsEmulator({
    port: options.port,
    host: options.host,
    regions: options.regions,
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
