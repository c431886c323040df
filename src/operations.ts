/**
 * KMS operations as data: the target name, the input schema, how the input goes on the wire, how
 * the output is parsed, and the modeled errors. The request path (`request/send.ts`) runs any of them.
 */
import { z } from 'zod';

/** One KMS operation. */
export interface Operation<Input, Output> {
  /** The operation name; the `X-Amz-Target` header is `TrentService.<name>`. */
  readonly name: string;
  /** Validates the caller's (camelCase) input before anything is sent. */
  readonly input: z.ZodType<Input>;
  /** The JSON body KMS expects (PascalCase). */
  readonly toRequestBody: (input: Input) => Record<string, unknown>;
  /** Builds the result from the response body; throws when the body does not fit the model. */
  readonly parseOutput: (body: Record<string, unknown>) => Output;
  /** Error codes the operation is documented to return. */
  readonly errors: readonly string[];
}

/** A custom key store ID as KMS models it: 1 to 64 characters, e.g. `cks-1234567890abcdef0`. */
const customKeyStoreId = z.string().min(1).max(64);

/** Input of operations that act on one custom key store. */
export interface CustomKeyStoreIdInput {
  /** The custom key store ID, e.g. `cks-1234567890abcdef0`. */
  customKeyStoreId: string;
}

const customKeyStoreIdInput = z.strictObject({ customKeyStoreId });

/** Disconnect and Connect return an empty object; only the metadata is of use. */
export type EmptyOutput = {};

const emptyOutput = (): EmptyOutput => ({});

/** DisconnectCustomKeyStore: disconnects a CloudHSM or external key store. */
export const disconnectCustomKeyStore: Operation<CustomKeyStoreIdInput, EmptyOutput> = {
  name: 'DisconnectCustomKeyStore',
  input: customKeyStoreIdInput,
  toRequestBody: (input) => ({ CustomKeyStoreId: input.customKeyStoreId }),
  parseOutput: emptyOutput,
  errors: [
    'CustomKeyStoreInvalidStateException',
    'CustomKeyStoreNotFoundException',
    'KMSInternalException',
  ],
};

/** ConnectCustomKeyStore: starts connecting a store; it returns before the store is connected. */
export const connectCustomKeyStore: Operation<CustomKeyStoreIdInput, EmptyOutput> = {
  name: 'ConnectCustomKeyStore',
  input: customKeyStoreIdInput,
  toRequestBody: (input) => ({ CustomKeyStoreId: input.customKeyStoreId }),
  parseOutput: emptyOutput,
  errors: [
    'CloudHsmClusterInvalidConfigurationException',
    'CloudHsmClusterNotActiveException',
    'CustomKeyStoreInvalidStateException',
    'CustomKeyStoreNotFoundException',
    'KMSInternalException',
  ],
};
