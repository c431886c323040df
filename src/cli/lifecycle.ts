/**
 * `kms-cks create`, `kms-cks update` (the maintenance run) and `kms-cks delete`. Loaded only for
 * these commands. Secrets come from files, the environment or a hidden prompt (`secrets.ts`) and
 * are never printed: results and reports hold none, and errors are redacted by the client.
 */
import { KmsClient } from '../client.js';
import type { KmsClientConfig } from '../config/options.js';
import { KmsError } from '../errors.js';
import type { MaintenancePlan, MaintenanceReport } from '../maintenance/maintain.js';
import { maintenanceReportOf } from '../maintenance/report.js';
import type {
  CreateCustomKeyStoreInput,
  UpdateCustomKeyStoreInput,
} from '../operations/operations.js';
import { UsageError } from './args.js';
import { parseStoreType } from './fleet.js';
import { formatElapsed, formatJson, printable, type TextSink } from './output.js';
import type { Mutation } from './program.js';
import { readSecret, readSecretFile } from './secrets.js';
import { WaitingNotice } from './waiting.js';

/** What the lifecycle commands need from the CLI. */
export interface LifecycleRequest {
  command: 'create' | 'update' | 'delete';
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  clientConfig: KmsClientConfig;
  timeoutMs: number | undefined;
  pollIntervalMs: number | undefined;
}

/** The CLI's streams and terminal. */
export interface LifecycleIo {
  stdout: TextSink;
  stderr: TextSink;
  prompt?: (question: string) => Promise<string>;
  promptSecret?: (question: string) => Promise<string>;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Where a Delete is noted (sent, then accepted or refused), for the record of an error or Ctrl-C. */
  mutations?: Mutation[];
}

/** Largest trust anchor file read (the model allows 5000 characters). */
const maxTrustAnchorBytes = 16 * 1024;

const yes = (answer: string) => /^\s*y(es)?\s*$/i.test(answer);

/** Runs create, update or delete; resolves with the exit code (errors are thrown to `report`). */
export async function runLifecycle(request: LifecycleRequest, io: LifecycleIo): Promise<number> {
  const { command, values } = request;
  const env = io.env ?? process.env;
  const text = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  // Everything is read and checked before the client exists: bad usage never reaches KMS.
  let work: (client: KmsClient) => Promise<number>;
  if (command === 'create') {
    const input = await createInput(text, io, env);
    work = async (client) => {
      const result = await client.createCustomKeyStore(input, { signal: io.signal });
      io.stdout.write(
        values.json === true
          ? formatJson(result)
          : `${printable(result.customKeyStoreId)}: created, DISCONNECTED (connect it with 'kms-cks connect ${printable(result.customKeyStoreId)} --wait')\n`,
      );
      return 0;
    };
  } else if (command === 'update') {
    const input = await updateInput(request.positionals[0]!, text, values, io, env);
    work = (client) => runUpdate(client, input, request, io);
  } else {
    const id = request.positionals[0]!;
    if (values.yes !== true) {
      if (!io.prompt) {
        throw new UsageError(
          `refusing to delete ${id} without confirmation: not a terminal. Add --yes to confirm`,
          'delete',
        );
      }
      if (!yes(await io.prompt(`Delete custom key store ${id}? This cannot be undone. [y/N] `))) {
        io.stderr.write('Not confirmed: nothing sent.\n');
        return 1;
      }
    }
    work = async (client) => {
      const mutation: Mutation = { operation: 'DeleteCustomKeyStore', outcome: 'in-flight' };
      io.mutations?.push(mutation);
      let result: Awaited<ReturnType<KmsClient['deleteCustomKeyStore']>>;
      try {
        result = await client.deleteCustomKeyStore(id, { signal: io.signal });
      } catch (error) {
        // Aborted (Ctrl-C) before an answer: sent, outcome unknown; else KMS refused it.
        if (!io.signal?.aborted) {
          mutation.outcome = 'refused';
          const requestId = error instanceof KmsError ? error.$metadata.requestId : undefined;
          if (requestId !== undefined) mutation.requestId = requestId;
          if (values.json !== true) {
            io.stdout.write(
              `${printable(id)}: not deleted: DeleteCustomKeyStore ${requestId !== undefined ? `refused (request ${printable(requestId)})` : 'failed'}${deniedHint(error)}\n`,
            );
          }
        }
        throw error;
      }
      mutation.outcome = 'accepted';
      mutation.requestId = result.$metadata.requestId;
      io.stdout.write(
        values.json === true
          ? formatJson({ customKeyStoreId: id, deleted: true, $metadata: result.$metadata })
          : `${printable(id)}: deleted (request ${printable(result.$metadata.requestId ?? 'unknown')})\n`,
      );
      return 0;
    };
  }
  const notice = new WaitingNotice(io.stderr);
  const config = request.clientConfig;
  const client = new KmsClient({ ...config, logger: config.logger ?? notice.logger });
  try {
    return await work(client);
  } finally {
    notice.stop();
    await client.close();
  }
}

async function createInput(
  text: (name: string) => string | undefined,
  io: LifecycleIo,
  env: NodeJS.ProcessEnv,
): Promise<CreateCustomKeyStoreInput> {
  const name = text('custom-key-store-name');
  if (name === undefined) throw new UsageError('missing --custom-key-store-name', 'create');
  const typeFlag = text('custom-key-store-type');
  const type = typeFlag === undefined ? 'AWS_CLOUDHSM' : parseStoreType(typeFlag, 'create');
  if (type === 'AWS_CLOUDHSM') {
    for (const flag of [
      ...Object.keys(xksFlags),
      'xks-proxy-access-key-id',
      'xks-proxy-secret-file',
    ]) {
      if (text(flag) !== undefined) {
        throw new UsageError(
          `--${flag} is for --custom-key-store-type EXTERNAL_KEY_STORE`,
          'create',
        );
      }
    }
    const anchor = text('trust-anchor-certificate');
    if (anchor === undefined) throw new UsageError('missing --trust-anchor-certificate', 'create');
    if (text('cloud-hsm-cluster-id') === undefined) {
      throw new UsageError('missing --cloud-hsm-cluster-id', 'create');
    }
    return {
      ...(typeFlag !== undefined && { customKeyStoreType: 'AWS_CLOUDHSM' as const }),
      customKeyStoreName: name,
      cloudHsmClusterId: text('cloud-hsm-cluster-id')!,
      trustAnchorCertificate: anchor.startsWith('file://')
        ? await readSecretFile(anchor.slice('file://'.length), '--trust-anchor-certificate', {
            maxBytes: maxTrustAnchorBytes,
            private: false,
          })
        : anchor,
      keyStorePassword: await readSecret(
        passwordSource(text('key-store-password-file')),
        env,
        io.promptSecret,
        'create',
      ),
    };
  }
  for (const flag of [
    'cloud-hsm-cluster-id',
    'trust-anchor-certificate',
    'key-store-password-file',
  ]) {
    if (text(flag) !== undefined) {
      throw new UsageError(`--${flag} is for --custom-key-store-type AWS_CLOUDHSM`, 'create');
    }
  }
  for (const flag of [
    'xks-proxy-uri-endpoint',
    'xks-proxy-uri-path',
    'xks-proxy-connectivity',
    'xks-proxy-access-key-id',
  ]) {
    if (text(flag) === undefined) {
      throw new UsageError(`missing --${flag} (for EXTERNAL_KEY_STORE)`, 'create');
    }
  }
  const input: Record<string, unknown> = {
    customKeyStoreType: 'EXTERNAL_KEY_STORE',
    customKeyStoreName: name,
  };
  for (const [flag, field] of Object.entries(xksFlags)) {
    if (text(flag) !== undefined) input[field] = text(flag);
  }
  input.xksProxyAuthenticationCredential = await proxyCredential(text, io, env, 'create');
  return input as unknown as CreateCustomKeyStoreInput;
}

/** XKS flags whose value goes into the input as it is. */
const xksFlags: Readonly<Record<string, string>> = {
  'xks-proxy-uri-endpoint': 'xksProxyUriEndpoint',
  'xks-proxy-uri-path': 'xksProxyUriPath',
  'xks-proxy-connectivity': 'xksProxyConnectivity',
  'xks-proxy-vpc-endpoint-service-name': 'xksProxyVpcEndpointServiceName',
  'xks-proxy-vpc-endpoint-service-owner': 'xksProxyVpcEndpointServiceOwner',
};

const passwordSource = (file: string | undefined) => ({
  fileFlag: '--key-store-password-file',
  file,
  envName: 'KMS_CKS_KEY_STORE_PASSWORD',
  question: 'CloudHSM kmsuser password (not shown): ',
});

/** The proxy credential of `create` / `update`: the key ID given, the secret read safely. */
async function proxyCredential(
  text: (name: string) => string | undefined,
  io: LifecycleIo,
  env: NodeJS.ProcessEnv,
  command: 'create' | 'update',
): Promise<{ accessKeyId: string; rawSecretAccessKey: string }> {
  const source = {
    fileFlag: '--xks-proxy-secret-file',
    file: text('xks-proxy-secret-file'),
    envName: 'KMS_CKS_XKS_SECRET',
    question: 'XKS proxy secret access key (not shown): ',
  };
  return {
    accessKeyId: text('xks-proxy-access-key-id')!,
    rawSecretAccessKey: await readSecret(source, env, io.promptSecret, command),
  };
}

async function updateInput(
  id: string,
  text: (name: string) => string | undefined,
  values: Record<string, string | boolean | string[] | undefined>,
  io: LifecycleIo,
  env: NodeJS.ProcessEnv,
): Promise<UpdateCustomKeyStoreInput> {
  const input: Record<string, unknown> = { customKeyStoreId: id };
  const plain: Record<string, string> = {
    'new-custom-key-store-name': 'newCustomKeyStoreName',
    'cloud-hsm-cluster-id': 'cloudHsmClusterId',
    'xks-proxy-uri-endpoint': 'xksProxyUriEndpoint',
    'xks-proxy-uri-path': 'xksProxyUriPath',
    'xks-proxy-connectivity': 'xksProxyConnectivity',
    'xks-proxy-vpc-endpoint-service-name': 'xksProxyVpcEndpointServiceName',
    'xks-proxy-vpc-endpoint-service-owner': 'xksProxyVpcEndpointServiceOwner',
  };
  for (const [flag, field] of Object.entries(plain)) {
    if (text(flag) !== undefined) input[field] = text(flag);
  }
  if (
    text('xks-proxy-secret-file') !== undefined &&
    text('xks-proxy-access-key-id') === undefined
  ) {
    throw new UsageError(
      '--xks-proxy-secret-file goes with --xks-proxy-access-key-id: a credential always has both halves',
      'update',
    );
  }
  if (values['no-reconnect'] === true && values.wait === true) {
    throw new UsageError('--wait waits for CONNECTED: not with --no-reconnect', 'update');
  }
  const passwordFile = text('key-store-password-file');
  if (passwordFile !== undefined && values['change-key-store-password'] === true) {
    throw new UsageError(
      'give --key-store-password-file or --change-key-store-password, not both',
      'update',
    );
  }
  const changes = Object.keys(input).length - 1;
  if (
    changes === 0 &&
    text('xks-proxy-access-key-id') === undefined &&
    passwordFile === undefined &&
    values['change-key-store-password'] !== true
  ) {
    throw new UsageError('nothing to change: give at least one property to update', 'update');
  }
  // Secrets last: nobody is asked for one when the command line is wrong anyway.
  if (text('xks-proxy-access-key-id') !== undefined) {
    input.xksProxyAuthenticationCredential = await proxyCredential(text, io, env, 'update');
  }
  if (passwordFile !== undefined || values['change-key-store-password'] === true) {
    input.keyStorePassword = await readSecret(
      passwordSource(passwordFile),
      env,
      io.promptSecret,
      'update',
    );
  }
  return input as unknown as UpdateCustomKeyStoreInput;
}

async function runUpdate(
  client: KmsClient,
  input: UpdateCustomKeyStoreInput,
  request: LifecycleRequest,
  io: LifecycleIo,
): Promise<number> {
  const { values } = request;
  const id = input.customKeyStoreId;
  const confirmDisconnect =
    values.yes === true
      ? undefined
      : async (plan: MaintenancePlan): Promise<boolean> => {
          const what = `disconnect ${id} (${plan.state}) to update ${plan.properties.join(', ')}`;
          if (!io.prompt) {
            throw new UsageError(
              `refusing to ${what} without confirmation: not a terminal. Add --yes to confirm`,
              'update',
            );
          }
          return yes(
            await io.prompt(
              `${what[0]!.toUpperCase()}${what.slice(1)}${plan.reconnect ? ', then connect it again' : ''}? [y/N] `,
            ),
          );
        };
  let report: MaintenanceReport;
  let lastState: string | undefined;
  try {
    report = await client.maintainCustomKeyStore(input, {
      allowDisconnect: values['no-disconnect'] !== true,
      reconnect: values['no-reconnect'] !== true,
      waitForConnected: values.wait === true,
      confirmDisconnect,
      timeoutMs: request.timeoutMs,
      pollIntervalMs: request.pollIntervalMs,
      signal: io.signal,
      // One line per state change, on stderr: stdout keeps the result (or the JSON report).
      onPoll: (poll) => {
        if (poll.state === lastState) return;
        lastState = poll.state;
        io.stderr.write(`${printable(id)}: ${printable(poll.state ?? 'unknown')}\n`);
      },
    });
  } catch (error) {
    const failed = maintenanceReportOf(error);
    // What was done before the failure (or Ctrl-C), so that the operator knows the store's state:
    // on stdout, as a result. With --json the error's one document carries the report.
    if (failed && values.json !== true && failed.steps.some((step) => step.action !== 'describe')) {
      io.stdout.write(formatReport(failed, error));
    }
    throw error;
  }
  if (report.outcome === 'declined') {
    io.stderr.write('Not confirmed: nothing sent.\n');
    return 1;
  }
  io.stdout.write(values.json === true ? formatJson(report) : formatReport(report));
  return 0;
}

/** ` (this identity lacks kms:X)` for KMS's AccessDeniedException, else nothing. */
function deniedHint(error: unknown): string {
  if (!(error instanceof KmsError) || error.name !== 'AccessDeniedException') return '';
  const action = /not authorized to perform: (kms:[A-Za-z]+)/.exec(error.message)?.[1];
  return action === undefined ? ': access denied' : `: this identity lacks ${action}`;
}

/**
 * The report as lines: a summary, one line per step, then what KMS accepted (request IDs), what
 * could not be known, and the state the store is left in with what to do next.
 *
 * @param report - the maintenance run's report.
 * @param error - the error the run threw, if it failed.
 */
export function formatReport(report: MaintenanceReport, error?: unknown): string {
  const id = printable(report.customKeyStoreId);
  const properties = report.updatedProperties.join(', ') || 'nothing';
  const how = report.disconnected
    ? report.reconnected
      ? 'disconnected, updated, connected again'
      : 'disconnected, updated'
    : 'updated in place, no disconnect';
  const summary =
    report.outcome === 'unchanged'
      ? `${id}: nothing to change (${report.unchangedProperties.join(', ')} already set)`
      : report.outcome === 'rolled-back'
        ? `${id}: update of ${properties} failed; the store was connected again`
        : report.outcome === 'failed'
          ? `${id}: update of ${properties} did not complete${report.accepted.length === 0 && !report.steps.some((step) => step.outcome === 'unknown') ? ': nothing was changed' : ''}`
          : report.outcome === 'updated' && error !== undefined
            ? `${id}: ${properties}: updated, but the run did not complete`
            : report.stateUnknown !== undefined
              ? `${id}: ${properties}: updated (sent alone: state unknown)`
              : `${id}: ${properties}: ${how}`;
  // Describe denied: the state was never read, which is not the same as a Describe that failed.
  const unseen = report.stateUnknown !== undefined ? 'unknown' : '?';
  const lines = [
    `${summary}; ${printable(report.stateBefore ?? unseen)} -> ${printable(report.stateAfter ?? unseen)} in ${formatElapsed(report.elapsedMs)}`,
  ];
  for (const step of report.steps) {
    lines.push(
      [
        `  ${step.rollback ? 'rollback ' : ''}${step.action}`.padEnd(22),
        step.outcome.padEnd(8),
        step.startedAt,
        formatElapsed(step.durationMs).padStart(7),
        step.state !== undefined ? printable(step.state) : '',
        step.requestId !== undefined ? `request ${printable(step.requestId)}` : '',
        step.error !== undefined ? printable(step.error) : '',
        step.missingPermission !== undefined
          ? `(this identity lacks ${printable(step.missingPermission)})`
          : '',
      ]
        .filter((part) => part !== '')
        .join('  '),
    );
  }
  lines.push(...whatHappened(report, error));
  return `${lines.join('\n')}\n`;
}

/** After the steps: accepted requests, unknown ones, and what the operator should do next. */
function whatHappened(report: MaintenanceReport, error: unknown): string[] {
  const id = printable(report.customKeyStoreId);
  const lines: string[] = [];
  if (report.stateUnknown !== undefined) {
    lines.push(
      `state unknown: ${printable(report.stateUnknown)}: the Update was sent alone, without a disconnect (without kms:DescribeCustomKeyStores the run cannot tell whether one is needed, nor wait)`,
    );
  }
  if (error === undefined) return lines;
  const accepted = report.accepted.map(
    (request) =>
      `${request.operation}${request.rollback ? ' (rollback)' : ''} (request ${printable(request.requestId ?? 'unknown')})`,
  );
  lines.push(
    accepted.length > 0
      ? `KMS accepted: ${accepted.join(', ')}: these stand.`
      : 'KMS accepted no Disconnect, Update or Connect of this run.',
  );
  for (const step of report.steps) {
    if (step.outcome === 'unknown') {
      lines.push(
        `${step.action}${step.rollback ? ' (rollback)' : ''} was sent and not answered: its outcome is unknown. Check with 'kms-cks describe ${id}'.`,
      );
    }
  }
  const updateRefused = report.steps.find(
    (step) => step.action === 'update' && step.outcome === 'failed',
  );
  const connectFailed = report.steps.find(
    (step) => step.action === 'connect' && step.outcome === 'failed',
  );
  if (
    report.stateUnknown !== undefined &&
    updateRefused?.error === 'CustomKeyStoreInvalidStateException'
  ) {
    lines.push(
      `KMS refused the Update: ${report.propertiesNeedingDisconnect.join(', ') || 'a property'} needs the store DISCONNECTED, and it is not. Without kms:DescribeCustomKeyStores the run does not disconnect it (it could not wait for DISCONNECTED). Disconnect it ('kms-cks disconnect ${id}'), then run this again once it is DISCONNECTED; or run it with an identity allowed kms:DescribeCustomKeyStores.`,
    );
  }
  if (connectFailed !== undefined && report.disconnected && !report.reconnected) {
    const left = report.outcome === 'updated' ? 'with the update applied' : 'without the update';
    lines.push(
      `The store is left ${printable(report.stateAfter ?? 'DISCONNECTED')} ${left}: the run's Connect ${connectFailed.missingPermission !== undefined ? `was denied (this identity lacks ${printable(connectFailed.missingPermission)})` : `failed (${printable(connectFailed.error ?? 'error')})`}. Connect it with 'kms-cks connect ${id} --wait'${connectFailed.missingPermission !== undefined ? ' as an identity allowed to' : ''}.`,
    );
  }
  return lines;
}
