/**
 * applyToFleet against two accounts (profiles prod and dr, each its own emulator on loopback),
 * prod in two regions: what is sent, what is left alone, and the audit record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKeyStoreIds } from '../../src/emulator/index.js';
import { applyToFleet, type FleetProgress, KmsValidationError } from '../../src/index.js';
import { useProcessEnv } from '../config/helpers.js';
import { actionsOn, type Fleet, startFleet } from '../helpers/fleet.js';

let fleet: Fleet;
let restoreEnv: () => void;

beforeEach(async () => {
  fleet = await startFleet();
  restoreEnv = useProcessEnv(fleet.env);
});

afterEach(async () => {
  restoreEnv();
  await fleet.close();
});

const everywhere = {
  profiles: ['prod', 'dr'],
  regions: ['us-east-1', 'eu-west-1'],
  type: 'EXTERNAL_KEY_STORE',
  pollIntervalMs: 20,
} as const;

/** The external key stores of prod that are CONNECTED at the start, as `region id`. */
function connectedXksOfProd(): string[] {
  return fleet.prod.regions
    .flatMap((region) =>
      [...fleet.prod.inRegion(region).keyStores.values()]
        .filter((store) => store.type === 'EXTERNAL_KEY_STORE')
        .filter((store) => store.connectionState === 'CONNECTED')
        .map((store) => `${region} ${store.id}`),
    )
    .sort();
}

describe('applyToFleet', () => {
  it('a dry run lists what would be disconnected and sends no Disconnect', async () => {
    const record = await applyToFleet({ action: 'disconnect', dryRun: true, ...everywhere });
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toEqual([]);
    expect(actionsOn(fleet.dr, 'DisconnectCustomKeyStore')).toEqual([]);
    expect(record.dryRun).toBe(true);
    const would = record.targets
      .filter((target) => target.profile === 'prod' && target.action === 'would-disconnect')
      .map((target) => `${target.region} ${target.customKeyStoreId}`)
      .sort();
    expect(would).toEqual(connectedXksOfProd());
    expect(
      record.targets.find(
        (target) => target.customKeyStoreId === defaultKeyStoreIds.failingExternal,
      )?.action,
    ).toBe('already');
  });

  it('disconnects exactly the selected stores, leaves the rest, and reports a failing region', async () => {
    const expected = connectedXksOfProd();
    expect(expected).toHaveLength(4);
    const events: FleetProgress['type'][] = [];
    const record = await applyToFleet({
      action: 'disconnect',
      ...everywhere,
      wait: true,
      onProgress: (event) => events.push(event.type),
    });
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toEqual(expected);
    expect(actionsOn(fleet.dr, 'DisconnectCustomKeyStore')).toEqual([
      'us-east-1 cks-dr0000000000000a',
      'us-east-1 cks-dr0000000000000b',
    ]);
    // The CloudHSM stores are not selected: untouched in every region and account.
    for (const region of fleet.prod.regions) {
      for (const store of fleet.prod.inRegion(region).keyStores.values()) {
        if (store.type === 'AWS_CLOUDHSM') expect(store.connectionState).toBe('CONNECTED');
        else expect(store.connectionState).toBe('DISCONNECTED');
      }
    }
    expect(fleet.dr.keyStores.get('cks-dr0000000000000c')?.connectionState).toBe('CONNECTED');
    // dr × eu-west-1 could not be listed; the rest went on.
    expect(record.failures).toEqual([
      {
        profile: 'dr',
        region: 'eu-west-1',
        error: {
          name: 'InvalidSignatureException',
          message: expect.stringContaining("not 'eu-west-1'"),
        },
      },
    ]);
    const orders = record.targets.find(
      (target) =>
        target.profile === 'prod' &&
        target.region === 'us-east-1' &&
        target.customKeyStoreId === defaultKeyStoreIds.externalPublic,
    );
    const sent = fleet.prod.requests.find(
      (request) =>
        request.operation === 'DisconnectCustomKeyStore' &&
        request.region === 'us-east-1' &&
        request.input?.CustomKeyStoreId === defaultKeyStoreIds.externalPublic,
    );
    expect(orders).toEqual({
      profile: 'prod',
      region: 'us-east-1',
      customKeyStoreId: defaultKeyStoreIds.externalPublic,
      customKeyStoreName: 'orders-xks',
      customKeyStoreType: 'EXTERNAL_KEY_STORE',
      stateBefore: 'CONNECTED',
      action: 'disconnected',
      requestId: sent?.requestId,
      stateAfter: 'DISCONNECTED',
    });
    expect(record.targets.filter((target) => target.action === 'disconnected')).toHaveLength(6);
    expect(record.targets.filter((target) => target.action === 'already')).toHaveLength(2);
    expect(Date.parse(record.finishedAt)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
    expect(events.filter((type) => type === 'listed')).toHaveLength(3);
    expect(events.filter((type) => type === 'failure')).toHaveLength(1);
    expect(events.filter((type) => type === 'done')).toHaveLength(6);
    // Nothing secret in the record.
    const text = JSON.stringify(record);
    expect(text).not.toContain('secret-of-the-fleet-test');
  });

  it('selects by name glob, and connect --all restores service', async () => {
    await applyToFleet({ action: 'disconnect', ...everywhere, name: '*orders*', wait: true });
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toHaveLength(2);
    expect(actionsOn(fleet.dr, 'DisconnectCustomKeyStore')).toEqual([
      'us-east-1 cks-dr0000000000000a',
    ]);
    const record = await applyToFleet({
      action: 'connect',
      ...everywhere,
      name: '*orders*',
      wait: true,
    });
    expect(actionsOn(fleet.prod, 'ConnectCustomKeyStore')).toHaveLength(2);
    expect(record.targets.every((target) => target.stateAfter === 'CONNECTED')).toBe(true);
    expect(fleet.prod.keyStores.get(defaultKeyStoreIds.externalPublic)?.connectionState).toBe(
      'CONNECTED',
    );
  });

  it('a profile without credentials is a failure of its own; the others go on', async () => {
    const record = await applyToFleet({
      action: 'disconnect',
      profiles: ['nokeys', 'prod'],
      regions: ['us-east-1'],
      type: 'EXTERNAL_KEY_STORE',
    });
    expect(record.failures).toHaveLength(1);
    expect(record.failures[0]).toMatchObject({
      profile: 'nokeys',
      region: 'us-east-1',
      error: { name: 'KmsConfigError' },
    });
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toHaveLength(2);
  });

  it('a store whose call fails is failed with the error; the others are done', async () => {
    fleet.prod.injectFaults({
      kind: 'error',
      operation: 'DisconnectCustomKeyStore',
      errorType: 'AccessDeniedException',
      message: 'not allowed',
    });
    const record = await applyToFleet({
      action: 'disconnect',
      profiles: ['prod'],
      regions: ['us-east-1'],
      type: 'EXTERNAL_KEY_STORE',
      concurrency: 1,
    });
    const failed = record.targets.filter((target) => target.action === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toEqual({ name: 'AccessDeniedException', message: 'not allowed' });
    expect(record.targets.filter((target) => target.action === 'disconnected')).toHaveLength(1);
  });

  it('declining the confirmation sends nothing', async () => {
    let asked: number | undefined;
    let byType: unknown;
    const record = await applyToFleet({
      action: 'disconnect',
      ...everywhere,
      confirm: (plan) => {
        asked = plan.targets.length * 10 + plan.regions;
        byType = plan.byType;
        return false;
      },
    });
    expect(asked).toBe(62);
    // The plan counts the stores of each type it would act on.
    expect(byType).toEqual({ EXTERNAL_KEY_STORE: 6 });
    expect(record.declined).toBe(true);
    expect(actionsOn(fleet.prod, 'DisconnectCustomKeyStore')).toEqual([]);
    expect(record.targets.filter((target) => target.action === 'skipped')).toHaveLength(6);
  });

  it('a wait that runs out of time after KMS accepted the Disconnect: accepted, last seen state, waitError timeout', async () => {
    const slow = await startFleet(60_000);
    const restore = useProcessEnv(slow.env);
    try {
      const record = await applyToFleet({
        action: 'disconnect',
        profiles: ['prod'],
        regions: ['us-east-1'],
        name: 'orders-xks',
        wait: true,
        timeoutMs: 300,
        pollIntervalMs: 50,
      });
      expect(record.targets).toHaveLength(1);
      expect(record.targets[0]).toMatchObject({
        action: 'disconnected',
        requestId: expect.any(String),
        stateAfter: 'DISCONNECTING',
        waitError: { name: 'KmsWaiterError', reason: 'timeout' },
      });
      expect(record.targets[0]!.error).toBeUndefined();
    } finally {
      restore();
      await slow.close();
    }
  });

  it.each([
    [{ action: 'kill' }],
    [{ action: 'disconnect', type: 'xks' }],
    [{ action: 'disconnect', concurrency: 0 }],
    [{ action: 'disconnect', regions: [''] }],
    [{ action: 'disconnect', timeoutMs: -1 }],
  ])('rejects bad options %j before any request', async (options) => {
    await expect(applyToFleet(options as never)).rejects.toBeInstanceOf(KmsValidationError);
    expect(fleet.prod.requests).toHaveLength(0);
  });
});
