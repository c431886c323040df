/**
 * Command-line parsing for kms-cks: the commands, their options, their help, and the value
 * parsers (durations, ports, states). Built on node:util parseArgs; no dependency.
 */
import { parseArgs } from 'node:util';
import { maxTimerMs } from '../config/defaults.js';
import { editDistance } from '../edit-distance.js';
import { connectionStates, type KnownConnectionState } from '../operations/operations.js';

/** A mistake in the command line: exit 2 with the usage of `command`. */
export class UsageError extends Error {
  /** The command whose usage to print, or undefined for the general one. */
  readonly command: CommandName | undefined;

  /**
   * @param message - what is wrong, one line.
   * @param command - the command whose usage follows the message.
   */
  constructor(message: string, command?: CommandName) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/** Options every command accepts. */
const globalOptions = {
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  'allow-insecure-endpoint': { type: 'boolean' },
  'request-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'max-attempts': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Record<string, OptionSpec>;

/** The selection and safety options of `disconnect --all` / `connect --all`. */
const fleetOptions = {
  all: { type: 'boolean' },
  type: { type: 'string' },
  name: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  concurrency: { type: 'string' },
} as const satisfies Record<string, OptionSpec>;

/** The help lines of the fleet options; `verb` is disconnect or connect. */
function fleetHelp(verb: string): string[] {
  return [
    '',
    `--all: ${verb} every store selected by --type and --name, in every region of --region and`,
    'every profile of --profile (comma-separated lists), in parallel. A region or profile that',
    'fails is reported and does not stop the others. Without --dry-run it asks once on a',
    'terminal, and refuses without one unless --yes. It lists the stores first, so it needs',
    `kms:DescribeCustomKeyStores besides kms:${verb === 'disconnect' ? 'Disconnect' : 'Connect'}CustomKeyStore. Selecting no store exits 1.`,
    '',
    '  --all               every selected store instead of one <id>',
    '  --type <type>       required: EXTERNAL_KEY_STORE (or xks), AWS_CLOUDHSM (or cloudhsm),',
    '                      or all (both types; the question and the dry run count each)',
    '  --name <glob>       only stores whose name matches (* and ?)',
    '  --region <r1,r2>    regions to cover; default the configured one',
    '  --profile <p1,p2>   profiles to cover; default the configured one',
    `  --dry-run           list what would be ${verb}ed, send nothing`,
    '  -y, --yes           do not ask for confirmation',
    '  --concurrency <n>   most calls at once; default 8',
    '  --json              print the audit record (targets, failures) as JSON',
  ];
}

const waitOptions = {
  timeout: { type: 'string' },
  'poll-interval': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

/** Flags of the properties Create and Update share, named as the AWS CLI names them. */
const lifecycleOptions = {
  'cloud-hsm-cluster-id': { type: 'string' },
  'key-store-password-file': { type: 'string' },
  'xks-proxy-uri-endpoint': { type: 'string' },
  'xks-proxy-uri-path': { type: 'string' },
  'xks-proxy-connectivity': { type: 'string' },
  'xks-proxy-vpc-endpoint-service-name': { type: 'string' },
  'xks-proxy-vpc-endpoint-service-owner': { type: 'string' },
  'xks-proxy-access-key-id': { type: 'string' },
  'xks-proxy-secret-file': { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Record<string, OptionSpec>;

/** Help lines of the secrets, shared by create and update. */
const secretHelp = [
  'Secrets are never flag values (shell history, `ps`): the XKS proxy secret access key comes from',
  '--xks-proxy-secret-file FILE or KMS_CKS_XKS_SECRET, the CloudHSM kmsuser password from',
  '--key-store-password-file FILE or KMS_CKS_KEY_STORE_PASSWORD; else, on a terminal, a hidden',
  "prompt asks. A secret file must be a regular file of at most 4 KiB, yours or root's, not",
  'writable by group or others; a final line break is not part of the secret. Secrets are never',
  'printed, not even with --json.',
];

/** The commands: their options, positionals and help text. */
export const commands = {
  disconnect: {
    options: { ...waitOptions, ...fleetOptions, wait: { type: 'boolean' } },
    positionals: ['id?'],
    summary:
      'Disconnect a custom key store (idempotent), or --all of them; --wait until DISCONNECTED',
    usage:
      'kms-cks disconnect <id> [--wait] [--timeout 10m] [--json]\n       kms-cks disconnect --all --type xks|cloudhsm|all [--name GLOB] [--region R1,R2] [--profile P1,P2] [--dry-run] [--yes] [--wait] [--timeout 10m] [--concurrency N] [--json]',
    details: [
      'Sends DisconnectCustomKeyStore first, without reading the store (a break-glass role that',
      'may only disconnect can use it). KMS refuses it for a store already DISCONNECTED or',
      'DISCONNECTING, which counts as done: running it twice, or after an interrupted run, is',
      'safe. The state is then read when kms:DescribeCustomKeyStores is allowed; --wait needs it.',
      '',
      '  --wait              wait until the store is DISCONNECTED, showing its state live',
      '  --timeout <time>    give up waiting after this long (90s, 10m, 1h, or ms); default 30m',
      '  --poll-interval <t> first delay between two Describe calls; default 2s, then ×1.5 up to 30s',
      '  --json              print the result as JSON',
      ...fleetHelp('disconnect'),
    ],
  },
  connect: {
    options: {
      ...waitOptions,
      ...fleetOptions,
      wait: { type: 'boolean' },
      'reset-failed': { type: 'boolean' },
    },
    positionals: ['id?'],
    summary: 'Connect a custom key store (idempotent), or --all of them; --wait until CONNECTED',
    usage:
      'kms-cks connect <id> [--wait] [--reset-failed] [--timeout 10m] [--json]\n       kms-cks connect --all [the selection and options of disconnect --all]',
    details: [
      'Sends ConnectCustomKeyStore unless the store is already CONNECTED or CONNECTING. A store',
      'that is DISCONNECTING is waited for, then connected. A FAILED store must be disconnected',
      'first: that is an error unless --reset-failed.',
      '',
      '  --wait              wait until the store is CONNECTED, showing its state live',
      '  --reset-failed      disconnect a FAILED store, wait for DISCONNECTED, then connect',
      '  --timeout <time>    give up waiting after this long (90s, 10m, 1h, or ms); default 30m',
      '  --poll-interval <t> first delay between two Describe calls; default 2s',
      '  --json              print the result as JSON',
      ...fleetHelp('connect'),
    ],
  },
  describe: {
    options: { name: { type: 'string' }, json: { type: 'boolean' } },
    positionals: ['id?'],
    summary: 'List custom key stores, or show one by ID or name',
    usage: 'kms-cks describe [<id> | --name <name>] [--json]',
    details: [
      'Without an ID or name, lists every custom key store of the account and region (all pages).',
      '',
      '  --name <name>       only the store with this friendly name',
      '  --json              print {"customKeyStores": [...]} as JSON instead of a table',
    ],
  },
  wait: {
    options: waitOptions,
    positionals: ['id', 'state'],
    summary: 'Wait until a custom key store is in a state',
    usage: `kms-cks wait <id> <STATE>[,STATE...] [--timeout 10m] [--json]`,
    details: [
      `STATE is one of ${connectionStates.join(', ')} (case-insensitive).`,
      'Fails (exit 1) if the store becomes FAILED while waiting for another state.',
      '',
      '  --timeout <time>    give up after this long (90s, 10m, 1h, or ms); default 30m',
      '  --poll-interval <t> first delay between two Describe calls; default 2s',
      '  --json              print the entry reached as JSON',
    ],
  },
  create: {
    options: {
      ...lifecycleOptions,
      'custom-key-store-name': { type: 'string' },
      'custom-key-store-type': { type: 'string' },
      'trust-anchor-certificate': { type: 'string' },
    },
    positionals: [],
    summary: 'Create a custom key store (CloudHSM or external); it starts DISCONNECTED',
    usage:
      'kms-cks create --custom-key-store-name NAME --cloud-hsm-cluster-id ID --trust-anchor-certificate file://customerCA.crt [--key-store-password-file FILE] [--json]\n       kms-cks create --custom-key-store-name NAME --custom-key-store-type EXTERNAL_KEY_STORE --xks-proxy-uri-endpoint https://HOST --xks-proxy-uri-path /kms/xks/v1 --xks-proxy-connectivity PUBLIC_ENDPOINT --xks-proxy-access-key-id ID [--xks-proxy-secret-file FILE] [--json]',
    details: [
      'Sends CreateCustomKeyStore and prints the new store ID. Every field is checked against the',
      'KMS model before anything is sent.',
      '',
      '  --custom-key-store-name <name>         a name unique in the account and region',
      '  --custom-key-store-type <type>         AWS_CLOUDHSM (default) or EXTERNAL_KEY_STORE',
      '  --cloud-hsm-cluster-id <id>            CloudHSM: the cluster (cluster-…)',
      '  --trust-anchor-certificate <pem>       CloudHSM: the PEM, or file://PATH to read it',
      '  --key-store-password-file <file>       CloudHSM: the kmsuser password (see below)',
      '  --xks-proxy-uri-endpoint <url>         XKS: https://host of the proxy',
      '  --xks-proxy-uri-path <path>            XKS: the API path, ending in /kms/xks/v1',
      '  --xks-proxy-connectivity <c>           XKS: PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE',
      '  --xks-proxy-vpc-endpoint-service-name <n>   XKS over VPC: the endpoint service',
      '  --xks-proxy-vpc-endpoint-service-owner <a>  XKS over VPC: its account, when not yours',
      '  --xks-proxy-access-key-id <id>         XKS: the access key ID of the proxy credential',
      '  --xks-proxy-secret-file <file>         XKS: its secret access key (see below)',
      '  --json                                 print {"customKeyStoreId", "$metadata"} as JSON',
      '',
      ...secretHelp,
    ],
  },
  update: {
    options: {
      ...lifecycleOptions,
      'new-custom-key-store-name': { type: 'string' },
      'change-key-store-password': { type: 'boolean' },
      'no-reconnect': { type: 'boolean' },
      'no-disconnect': { type: 'boolean' },
      wait: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      timeout: { type: 'string' },
      'poll-interval': { type: 'string' },
    },
    positionals: ['id'],
    summary:
      'Change a custom key store whatever its state: disconnect only when needed, update, reconnect',
    usage:
      'kms-cks update <id> [--new-custom-key-store-name N] [--xks-proxy-access-key-id ID] [--xks-proxy-uri-endpoint URL] [--xks-proxy-uri-path P] [--change-key-store-password] [--cloud-hsm-cluster-id ID] [--wait] [--no-reconnect] [--yes] [--json]',
    details: [
      'The maintenance run. Describes the store; when a changed property needs it DISCONNECTED',
      '(XKS: endpoint, connectivity, VPC endpoint service; CloudHSM: password, cluster) and it is',
      'not, disconnects it and waits; sends UpdateCustomKeyStore; connects it again when it was',
      'CONNECTED. A name, an XKS proxy credential or path is changed in place, without a',
      'disconnect. If the update fails after a disconnect, the store is connected again and the',
      'error is reported with every step. A disconnect is asked for once on a terminal, and',
      'needs --yes without one.',
      '',
      '  --new-custom-key-store-name <name>     a new name',
      '  --xks-proxy-access-key-id <id>         rotate the XKS proxy credential (its secret: below)',
      '  --xks-proxy-uri-endpoint <url>         move the proxy (needs a disconnect)',
      '  --xks-proxy-uri-path <path>            a new API path',
      '  --xks-proxy-connectivity <c>           PUBLIC_ENDPOINT or VPC_ENDPOINT_SERVICE (disconnect)',
      '  --xks-proxy-vpc-endpoint-service-name <n>   (disconnect)',
      '  --xks-proxy-vpc-endpoint-service-owner <a>  (disconnect)',
      '  --key-store-password-file <file>       rotate the CloudHSM kmsuser password (disconnect)',
      '  --change-key-store-password            the same, the password from',
      '                                         KMS_CKS_KEY_STORE_PASSWORD or a hidden prompt',
      '  --cloud-hsm-cluster-id <id>            move to a related cluster (disconnect)',
      '  --wait                                 wait until the store is CONNECTED again',
      '  --no-reconnect                         leave a store the run disconnected DISCONNECTED',
      '  --no-disconnect                        refuse (nothing sent) when a disconnect is needed',
      '  -y, --yes                              do not ask before disconnecting',
      '  --timeout <time>                       deadline of the whole run; default 30m',
      '  --poll-interval <t>                    first delay between two Describe calls; default 2s',
      '  --json                                 print the report (steps, request IDs) as JSON',
      '',
      ...secretHelp,
    ],
  },
  delete: {
    options: { yes: { type: 'boolean', short: 'y' }, json: { type: 'boolean' } },
    positionals: ['id'],
    summary: 'Delete a DISCONNECTED custom key store that holds no KMS keys',
    usage: 'kms-cks delete <id> [--yes] [--json]',
    details: [
      'Sends DeleteCustomKeyStore. It cannot be undone: it asks once on a terminal, and needs',
      '--yes without one. KMS refuses a store that is not DISCONNECTED',
      '(CustomKeyStoreInvalidStateException) or that holds KMS keys (CustomKeyStoreHasCMKsException).',
      '',
      '  -y, --yes           do not ask for confirmation',
      '  --json              print {"customKeyStoreId", "deleted", "$metadata"} as JSON',
    ],
  },
  emulator: {
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'xks-live': { type: 'boolean' },
      'xks-ca': { type: 'string' },
      'xks-connect-to': { type: 'string' },
      'xks-health-interval': { type: 'string' },
      'xks-timeout': { type: 'string' },
    },
    positionals: [],
    summary: 'Run the embedded KMS emulator until Ctrl-C',
    usage:
      'kms-cks emulator [--port N] [--host 127.0.0.1] [--region us-east-1,eu-west-1]\n       [--xks-live [--xks-ca FILE] [--xks-connect-to HOST:443:ADDR:PORT] [--xks-health-interval 60s]\n                  [--xks-timeout 250ms]]',
    details: [
      'Starts the emulator with its default key stores and prints the environment to point',
      'kms-cks, the AWS CLI or an SDK at it.',
      '',
      '  --port <n>          port to listen on; default: a free port',
      '  --host <host>       address to listen on; default 127.0.0.1',
      '  --region <r1,r2>    region(s) to serve on the one port, each with its own stores,',
      '                      chosen by the signing region; default us-east-1',
      '',
      'Live XKS: Connect of an external key store (public endpoint, with a proxy credential)',
      "sends GetHealthStatus to its XKS proxy, as KMS does, and the proxy's answer decides",
      'CONNECTED or FAILED (with the ConnectionErrorCode KMS would give).',
      '',
      '  --xks-live          call the real proxies (default: simulated, no network)',
      '  --xks-ca <file>     also trust this CA (PEM) for proxy certificates',
      '  --xks-connect-to <HOST:PORT:ADDR:PORT>  send HOST:PORT to ADDR:PORT (curl --connect-to);',
      '                      TLS still checks HOST; comma-separated for several',
      '  --xks-health-interval <t>  periodic KmsHealthCheck of connected stores; default 60s,',
      '                      0 for none',
      "  --xks-timeout <t>   how long a proxy has to answer; default 250ms, KMS's budget (raise",
      '                      it only to rehearse on a slow machine: KMS will not wait longer)',
    ],
  },
  xks: {
    options: {
      path: { type: 'string' },
      'access-key-id': { type: 'string' },
      'secret-file': { type: 'string' },
      'second-credential-file': { type: 'string' },
      'key-id': { type: 'string', multiple: true },
      'connect-to': { type: 'string', multiple: true },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      budget: { type: 'string' },
      json: { type: 'boolean' },
    },
    positionals: ['action'],
    summary: 'Check an XKS proxy the way KMS uses it (xks check)',
    usage:
      'kms-cks xks check --endpoint https://xks.example.com --path /example/kms/xks/v1 --region eu-west-1\n                   --access-key-id ID (secret from --secret-file, KMS_CKS_XKS_SECRET or stdin)\n                   [--key-id EXTERNAL_KEY_ID ...] [--connect-to HOST:443:ADDR:PORT] [--ca FILE]\n                   [--second-credential-file FILE] [--cert FILE --key FILE] [--budget 250ms] [--json]',
    details: [
      'Runs every check KMS relies on: TLS 1.2+, the certificate (host, dates, chain), a signed',
      "GetHealthStatus within KMS's 250 ms (median and worst of repeated calls), fleet and key",
      'manager health, refusals (unsigned, wrong secret, service, region, 6-minute skew: 401',
      'AuthenticationFailedException), GET -> 405, unknown path -> 404 InvalidUriPathException,',
      'error bodies and Content-Type, an unknown kmsOperation, and for each --key-id: metadata,',
      'round trips with and without AAD, 4,300-byte plaintext with 8,192 bytes of AAD, CDIV, sizes,',
      'tampered ciphertext, tag, IV or AAD -> 400 InvalidCiphertextException. Each failure says what',
      'KMS would report (ConnectionErrorCode or exception).',
      '',
      '  --endpoint <url>    the XksProxyUriEndpoint, https://host[:port]',
      '  --path <path>       the XksProxyUriPath, [/prefix]/kms/xks/v1',
      '  --region <region>   the key store region (the SigV4 scope)',
      '  --access-key-id <id>  the proxy authentication access key ID',
      '  --secret-file <file>  file with the secret on its first line (yours, not writable by',
      '                      others); else KMS_CKS_XKS_SECRET, else stdin. Never printed.',
      '  --second-credential-file <file>  a second credential the proxy should also accept (the',
      "                      KMS console's proxy configuration file, or {accessKeyId, rawSecretAccessKey})",
      '  --key-id <id>       an external key to test (repeatable)',
      '  --connect-to <HOST:PORT:ADDR:PORT>  connect there instead (curl --connect-to); TLS still',
      '                      checks the certificate against HOST (repeatable)',
      '  --ca <file>         extra CA certificate(s) to trust, PEM',
      '  --cert <file> --key <file>  client certificate and key, PEM (mTLS)',
      "  --budget <time>     the limit a timed call must meet; default 250ms (KMS's). Raise it",
      '                      only to see how far off a slow proxy is: KMS waits 250 ms',
      '  --json              one JSON document instead of lines',
      '',
      'Exit 0 when no check fails (warnings allowed), 1 when one fails, 2 for bad usage.',
    ],
  },
} as const satisfies Record<
  string,
  {
    options: Record<string, OptionSpec>;
    positionals: readonly string[];
    summary: string;
    usage: string;
    details: readonly string[];
  }
>;

/** A command name. */
export type CommandName = keyof typeof commands;

const globalHelp = [
  'Global options:',
  '  --region <region>   AWS region (else AWS_REGION, AWS_DEFAULT_REGION)',
  '  --profile <name>    shared config/credentials profile (else AWS_PROFILE)',
  '  --endpoint <url>    KMS endpoint (else AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL)',
  '  --allow-insecure-endpoint  allow an http:// endpoint on a host that is not loopback',
  '  --request-timeout <t>      limit of one attempt (connect, send, read); default 10s',
  '  --connect-timeout <t>      limit of establishing a connection; default 3s',
  '  --max-attempts <n>  attempts per call, first included (else AWS_MAX_ATTEMPTS); default 3',
  '  -h, --help          show help',
  '  -V, --version       print the version',
];

const exitCodesHelp = [
  'Exit codes: 0 done; 1 KMS error, network error (refused, unreachable, STS unreachable),',
  'FAILED store, a store or region of --all failed, or --all selected no store; 2 bad usage or',
  'configuration; 3 timeout (a request KMS accepted is still reported as accepted); 130',
  'interrupted (requests accepted or in flight are named on stderr).',
];

/** The general help. */
export function generalUsage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'Usage: kms-cks <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`),
    '',
    ...globalHelp,
    '',
    ...exitCodesHelp,
    "Run 'kms-cks <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** The help of one command. */
export function commandUsage(command: CommandName): string {
  const spec = commands[command];
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    ...spec.details,
    '',
    ...globalHelp,
    '',
    ...exitCodesHelp,
    '',
  ].join('\n');
}

/** What a command line says. */
export type ParsedCommandLine =
  | { kind: 'help'; command: CommandName | undefined }
  | { kind: 'version' }
  | {
      kind: 'run';
      command: CommandName;
      positionals: string[];
      values: Record<string, string | boolean | string[] | undefined>;
    };

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(commands, name);
}

/** The closest of `candidates` to `word`, when it is close enough to be a typo or a prefix. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score =
      candidate.startsWith(word) && word.length >= 2 ? 0 : editDistance(word, candidate);
    if (!best || score < best.score) best = { candidate, score };
  }
  if (!best) return undefined;
  return best.score <= Math.max(1, Math.min(3, Math.floor(best.candidate.length / 3)))
    ? best.candidate
    : undefined;
}

function unknownCommand(name: string): UsageError {
  const suggestion = closest(name, [...Object.keys(commands), 'help']);
  return new UsageError(
    `unknown command '${name}'${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
  );
}

/** The first line of a parseArgs error, without its long hint. */
function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('. To specify')[0]!.replace(/^Unknown option/, 'unknown option');
}

/**
 * Parses `argv` (without node and the script). Global options may come before or after the
 * command.
 *
 * @throws {@link UsageError} for an unknown command or option, a missing value or argument.
 */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  // First pass, lenient: find the command, knowing which options take a value.
  const everyOption: Record<string, OptionSpec> = { ...globalOptions };
  for (const spec of Object.values(commands)) Object.assign(everyOption, spec.options);
  const { tokens } = parseArgs({
    args: [...argv],
    options: everyOption,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // --version / -V wins wherever it is, as in most CLIs.
  if (tokens.some((token) => token.kind === 'option' && token.name === 'version')) {
    return { kind: 'version' };
  }
  const first = tokens.find((token) => token.kind === 'positional');
  const name = first?.kind === 'positional' ? first.value : undefined;
  if (name === 'help') {
    const topic = tokens.filter((token) => token.kind === 'positional')[1];
    const about = topic?.kind === 'positional' ? topic.value : undefined;
    if (about !== undefined && !isCommand(about)) throw unknownCommand(about);
    return { kind: 'help', command: about };
  }
  if (name === undefined) {
    if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', command: undefined };
    throw new UsageError('no command given');
  }
  if (!isCommand(name)) throw unknownCommand(name);
  const spec = commands[name];
  const rest = [...argv];
  rest.splice(first!.index, 1);
  // Second pass, strict: only the global options and this command's.
  const options: Record<string, OptionSpec> = { ...globalOptions, ...spec.options };
  if (!(rest.includes('--help') || rest.includes('-h'))) {
    for (const token of parseArgs({
      args: rest,
      options,
      strict: false,
      allowPositionals: true,
      tokens: true,
    }).tokens) {
      if (token.kind !== 'option' || Object.hasOwn(options, token.name)) continue;
      const known = Object.keys(options).filter((option) => option !== 'version');
      const suggestion = closest(token.name, known);
      throw new UsageError(
        `unknown option '${token.rawName}'${suggestion ? ` (did you mean --${suggestion}?)` : ''}`,
        name,
      );
    }
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', command: name };
    throw new UsageError(shortMessage(error), name);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help === true) return { kind: 'help', command: name };
  const required = spec.positionals.filter((positional) => !positional.endsWith('?'));
  if (parsed.positionals.length < required.length) {
    throw new UsageError(`missing <${required[parsed.positionals.length]}>`, name);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    // create and update take secrets: a secret typed in the wrong place is not echoed back.
    throw new UsageError(
      name === 'create' || name === 'update'
        ? `unexpected argument number ${spec.positionals.length + 1} (not shown: secrets are read from a file, the environment or a prompt, never from the command line)`
        : `unexpected argument '${parsed.positionals[spec.positionals.length]}'`,
      name,
    );
  }
  for (const [key, value] of Object.entries(values)) {
    if (value === '' || (Array.isArray(value) && value.includes(''))) {
      throw new UsageError(`--${key} must not be empty`, name);
    }
  }
  return { kind: 'run', command: name, positionals: parsed.positionals, values };
}

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: `90s`, `10m`, `1.5h`, `250ms`, or a plain number of milliseconds.
 *
 * @throws {@link UsageError} unless it is positive and at most about 24 days.
 */
export function parseDuration(text: string, option: string, command: CommandName): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * units[match[2] ?? 'ms']!) : Number.NaN;
  if (!(ms > 0 && ms <= maxTimerMs)) {
    throw new UsageError(
      `--${option} must be a positive duration such as 90s, 10m, 1h or 500 (ms), got '${text}'`,
      command,
    );
  }
  return ms;
}

/** Parses a TCP port, 0 to 65535. */
export function parsePort(text: string, command: CommandName): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new UsageError(`--port must be a number from 0 to 65535, got '${text}'`, command);
  }
  return port;
}

/** Parses `DISCONNECTED` or `disconnected,failed` into known states. */
export function parseStates(text: string, command: CommandName): KnownConnectionState[] {
  const states = text.split(',').map((part) => part.trim().toUpperCase());
  for (const state of states) {
    if (!(connectionStates as readonly string[]).includes(state)) {
      throw new UsageError(`unknown state '${state}': use ${connectionStates.join(', ')}`, command);
    }
  }
  return states as KnownConnectionState[];
}
