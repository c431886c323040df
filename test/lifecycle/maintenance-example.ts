import { emulatorCredentials, startKmsEmulator } from '../../src/emulator/index.js';
import { KmsClient, maintenanceReportOf } from '../../src/index.js';

// The embedded emulator stands in for KMS; in production: new KmsClient({ region: 'eu-west-1' }).
const emulator = await startKmsEmulator({ transitionMs: 200 });
const client = new KmsClient({
  endpoint: emulator.url,
  region: emulator.region,
  credentials: emulatorCredentials,
});
const progress = { pollIntervalMs: 100 }; // in production keep the default (2 s, then ×1.5)

try {
  // 1. Rotate the XKS proxy credential of a CONNECTED external key store (first on the proxy,
  //    then here): updated in place, no disconnect, no outage.
  const rotation = await client.maintainCustomKeyStore(
    {
      customKeyStoreId: 'cks-0123456789abcdef0',
      xksProxyAuthenticationCredential: {
        accessKeyId: 'ROTATED234567ROTATED',
        rawSecretAccessKey:
          process.env.NEW_XKS_SECRET ?? 'bmV3LXByb3h5LXNlY3JldC1mb3ItdGhlLWV4YW1wbGUtMDA=',
      },
    },
    progress,
  );
  console.log(
    `${rotation.stateBefore} ${rotation.steps.map((step) => step.action).join(' ')} ${rotation.stateAfter}`,
  );

  // 2. Rotate the kmsuser password of a CONNECTED CloudHSM key store (first in the cluster, then
  //    here): it needs DISCONNECTED, so the run disconnects and waits, updates, connects again and
  //    waits for CONNECTED. allowDisconnect: false would refuse instead, before sending anything.
  const password = await client.maintainCustomKeyStore(
    {
      customKeyStoreId: 'cks-1a2b3c4d5e6f70819',
      keyStorePassword: process.env.NEW_KMSUSER_PASSWORD ?? 'example-kmsuser-password-2',
    },
    progress,
  );
  for (const step of password.steps) {
    console.log(`${step.action} ${step.outcome} ${step.state ?? ''} request ${step.requestId}`);
  }
  console.log(`${password.stateBefore} -> ${password.stateAfter}`);
} catch (error) {
  // A failed update after a disconnect has been rolled back (the store connected again); the
  // error is the update's own typed error, with what was done attached.
  const report = maintenanceReportOf(error);
  if (report) console.error(report.outcome, report.stateAfter, report.steps);
  throw error;
} finally {
  await client.close();
  await emulator.close();
}
