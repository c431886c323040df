/**
 * A loopback fake of AWS STS (Query protocol): records each request with its form fields, answers
 * AssumeRoleWithWebIdentity (and AssumeRole) with the configured credentials as XML, or with an
 * XML error. Values are written with entities, so the client's XML reader has to decode them.
 */
import type { ServerResponse } from 'node:http';
import { SigV4Verifier, type VerifierCredentials } from '../../src/emulator/sigv4.js';
import { type LoopbackServer, type RecordedRequest, startLoopbackServer } from './loopback.js';

/** Credentials the fake hands out. */
export interface FakeStsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** A request as STS saw it. */
export interface StsCall {
  request: RecordedRequest;
  /** The form fields of the body. */
  form: Record<string, string>;
  /**
   * For a signed request: who signed it and for which region (checked by the emulator's SigV4
   * verifier for service `sts`), or why the signature was refused (answered 403).
   */
  signed?: { accessKeyId: string; region: string } | { refused: string };
}

/** What the fake answers a call with: credentials for this long, or an error. */
export type StsAnswer =
  | { credentials: FakeStsCredentials; expiresInMs?: number }
  | {
      error: { status: number; code: string; message?: string };
      /** `<ErrorResponse><Errors><Error>` (moto and some STS-compatible services) instead of AWS's form. */
      errorsList?: boolean;
    };

/** A running fake. */
export interface FakeSts {
  url: string;
  server: LoopbackServer;
  calls: StsCall[];
  /** Replaces how calls are answered. */
  answer(next: (call: StsCall, index: number) => StsAnswer): void;
  close(): Promise<void>;
}

/** Escapes text the way an XML writer does, with a numeric reference for `+` too. */
export function xmlEscape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('+', '&#x2B;');
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeSts(
  answer: (call: StsCall, index: number) => StsAnswer,
  options: {
    signers?: readonly VerifierCredentials[];
    regions?: readonly string[];
    /** The fake's clock, ahead of the local one by this much (to test clock skew); default 0. */
    clockOffsetMs?: number;
  } = {},
): Promise<FakeSts> {
  const clockOffsetMs = options.clockOffsetMs ?? 0;
  let current = answer;
  const calls: StsCall[] = [];
  const verifier = new SigV4Verifier({
    region: options.regions ?? ['us-east-1', 'eu-west-1', 'eu-west-3'],
    service: 'sts',
    credentials: options.signers ?? [],
  });
  const server = await startLoopbackServer((request, response) => {
    // As AWS does: every answer carries the server's time.
    response.setHeader('date', new Date(Date.now() + clockOffsetMs).toUTCString());
    const form = Object.fromEntries(new URLSearchParams(request.body));
    const call: StsCall = { request, form };
    calls.push(call);
    if (request.headers.authorization !== undefined) {
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
        pairs.push([request.rawHeaders[i] as string, request.rawHeaders[i + 1] as string]);
      }
      const verified = verifier.verify(
        { method: request.method, target: request.url, headers: pairs, body: request.body },
        Date.now() + clockOffsetMs,
      );
      if ('type' in verified) {
        call.signed = { refused: verified.type };
        reply(response, '', { error: { status: 403, code: 'SignatureDoesNotMatch' } });
        return;
      }
      call.signed = { accessKeyId: verified.accessKeyId, region: verified.region };
    }
    reply(response, form.Action ?? '', current(call, calls.length - 1));
  });
  return {
    url: server.url,
    server,
    calls,
    answer(next) {
      current = next;
    },
    close: () => server.close(),
  };
}

function reply(response: ServerResponse, action: string, answer: StsAnswer): void {
  if ('error' in answer) {
    response.writeHead(answer.error.status, { 'content-type': 'text/xml' });
    const error = `<Error>\n    <Type>Sender</Type>\n    <Code>${answer.error.code}</Code>\n    <Message>${xmlEscape(answer.error.message ?? 'denied')}</Message>\n  </Error>`;
    response.end(
      `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  ${answer.errorsList ? `<Errors>${error}</Errors>` : error}\n  <RequestId>req-sts-error</RequestId>\n</ErrorResponse>\n`,
    );
    return;
  }
  const { credentials } = answer;
  const expiration = new Date(Date.now() + (answer.expiresInMs ?? 3600_000)).toISOString();
  response.writeHead(200, { 'content-type': 'text/xml' });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <${action}Result>\n    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>\n      <SecretAccessKey>${xmlEscape(credentials.secretAccessKey)}</SecretAccessKey>\n      <SessionToken>${xmlEscape(credentials.sessionToken)}</SessionToken>\n      <Expiration>${expiration}</Expiration>\n    </Credentials>\n  </${action}Result>\n  <ResponseMetadata><RequestId>req-sts</RequestId></ResponseMetadata>\n</${action}Response>\n`,
  );
}
