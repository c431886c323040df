/**
 * `kms-cks emulator`: runs the embedded KMS emulator in the foreground and prints how to point
 * clients at it, until SIGINT / SIGTERM.
 */
import { emulatorCredentials, startKmsEmulator } from '../emulator/index.js';
import type { CustomKeyStoreEntry } from '../operations.js';
import { formatTable, type TextSink } from './output.js';

/** What `runEmulator` needs from the CLI. */
export interface EmulatorIo {
  /** Where the banner goes. */
  stdout: TextSink;
  /** Aborting it stops the emulator; without one it runs until the process ends. */
  signal?: AbortSignal;
}

/**
 * Starts the emulator with its default key stores, prints its URL, its stores and the
 * environment to use it, and resolves with exit code 0 once `io.signal` aborts and it is closed.
 */
export async function runEmulator(
  options: { port?: number; host?: string },
  io: EmulatorIo,
): Promise<number> {
  const emulator = await startKmsEmulator({ port: options.port, host: options.host });
  try {
    const stores: CustomKeyStoreEntry[] = [...emulator.keyStores.values()].map((store) => ({
      customKeyStoreId: store.id,
      customKeyStoreName: store.name,
      customKeyStoreType: store.type,
      connectionState: store.connectionState,
      connectionErrorCode: store.connectionErrorCode,
      creationDate: store.creationDate,
    }));
    io.stdout.write(
      [
        `KMS emulator listening on ${emulator.url} (region ${emulator.region})`,
        '',
        formatTable(stores),
        // The emulator's keys are AWS's published example pair: they open nothing anywhere else.
        'Point kms-cks, the AWS CLI or an SDK at it:',
        `  export AWS_ENDPOINT_URL_KMS=${emulator.url}`,
        `  export AWS_REGION=${emulator.region}`,
        `  export AWS_ACCESS_KEY_ID=${emulatorCredentials.accessKeyId}`,
        `  export AWS_SECRET_ACCESS_KEY=${emulatorCredentials.secretAccessKey}`,
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
