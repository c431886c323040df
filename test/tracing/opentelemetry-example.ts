// OpenTelemetry spans from the client's diagnostics channels: one span per call, one span event
// per HTTP attempt. The README quotes this file; test/tracing/opentelemetry.test.ts runs it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { channel, tracingChannel } from 'node:diagnostics_channel';
import {
  type Attributes,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import type { KmsAttemptTraceMessage, KmsCallTraceContext } from '../../src/index.js';

/** Starts turning KMS calls into spans of `tracer`; returns the function that stops it. */
export function traceKmsCalls(tracer: Tracer): () => void {
  const calls = tracingChannel<Span, KmsCallTraceContext>('kms-custom-key-store:call');
  const attempts = channel('kms-custom-key-store:attempt');
  const spans = new WeakMap<KmsCallTraceContext, Span>();
  // The call's span is the store while the call runs, so that its attempts find it.
  const currentCall = new AsyncLocalStorage<Span>();

  calls.start.bindStore(currentCall, (call) => {
    const span = tracer.startSpan(`KMS.${call.operation}`, {
      kind: SpanKind.CLIENT,
      attributes: defined({
        'rpc.system': 'aws-api',
        'rpc.service': 'KMS',
        'rpc.method': call.operation,
        'cloud.region': call.region,
        'server.address': call.endpoint,
        'aws.kms.custom_key_store_id': call.customKeyStoreId,
      }),
    });
    spans.set(call, span);
    return span;
  });
  const onError = (message: unknown) => {
    const call = message as KmsCallTraceContext;
    const error = call.error instanceof Error ? call.error : new Error(String(call.error));
    spans.get(call)?.recordException(error);
    spans.get(call)?.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  };
  const onAsyncEnd = (message: unknown) => {
    const call = message as KmsCallTraceContext;
    const $metadata =
      call.result?.$metadata ?? (call.error as KmsCallTraceContext['result'])?.$metadata;
    spans.get(call)?.setAttributes(
      defined({
        'aws.request_id': $metadata?.requestId,
        'http.response.status_code': $metadata?.httpStatusCode,
        'aws.kms.attempts': $metadata?.attempts,
      }),
    );
    spans.get(call)?.end();
  };
  const onAttempt = (message: unknown) => {
    const attempt = message as KmsAttemptTraceMessage;
    currentCall.getStore()?.addEvent(
      'kms.attempt',
      defined({
        'kms.attempt': attempt.attempt,
        'http.response.status_code': attempt.httpStatusCode,
        'error.type': attempt.errorName,
        'aws.request_id': attempt.requestId,
        'kms.duration_ms': attempt.durationMs,
        'kms.retry_delay_ms': attempt.retryDelayMs,
      }),
    );
  };

  calls.error.subscribe(onError);
  calls.asyncEnd.subscribe(onAsyncEnd);
  attempts.subscribe(onAttempt);
  return () => {
    calls.start.unbindStore(currentCall);
    calls.error.unsubscribe(onError);
    calls.asyncEnd.unsubscribe(onAsyncEnd);
    attempts.unsubscribe(onAttempt);
  };
}

/** Attributes without the undefined ones (OpenTelemetry warns about those). */
function defined(attributes: Record<string, string | number | undefined>): Attributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
}
