import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { streamFilters } from '../../lib/balance-stream.ts';

/**
 * Lambda's event filtering for the patterns `streamFilters` uses (exact values, nested objects): a record passes a
 * pattern when every key of the pattern is in the record and, where the pattern lists values, the record's value is
 * one of them. The local stream poller applies no filters, so this is where they are checked.
 */
function matches(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(value);
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) => matches(inner, (value as Record<string, unknown>)[key]));
}

const passes = (record: object) => streamFilters.some((filter) => matches(JSON.parse(filter.pattern ?? '{}'), record));

const txn = { pk: 'ACCOUNT#acc_1', sk: 'TXN#q_1', entity: 'txn', id: 'q_1', accountId: 'acc_1', kind: 'query' };
const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', next?: object, old?: object) => ({
  eventName,
  dynamodb: { ...(next ? { NewImage: marshall(next) } : {}), ...(old ? { OldImage: marshall(old) } : {}) },
});

describe('the balance stream’s filters', () => {
  it('wake the consumer for every refusal: a key-less record inserted refused, a keyed running record moved to parked or refused', () => {
    expect(passes(record('INSERT', { ...txn, status: 'parked' }))).toBe(true);
    expect(passes(record('INSERT', { ...txn, status: 'refused' }))).toBe(true);
    expect(passes(record('MODIFY', { ...txn, status: 'parked' }, { ...txn, status: 'running' }))).toBe(true);
    expect(passes(record('MODIFY', { ...txn, status: 'refused' }, { ...txn, status: 'running' }))).toBe(true);
  });

  it('wake it for balance changes and a parked query’s resume', () => {
    expect(passes(record('MODIFY', { entity: 'account', id: 'acc_1' }, { entity: 'account', id: 'acc_1' }))).toBe(true);
    expect(passes(record('MODIFY', { entity: 'shard' }, { entity: 'shard' }))).toBe(true);
    expect(passes(record('MODIFY', { ...txn, status: 'running' }, { ...txn, status: 'parked' }))).toBe(true);
  });

  it('leave out what the consumer ignores: a charge’s record written running, completed, failed or removed', () => {
    expect(passes(record('INSERT', { ...txn, status: 'running' }))).toBe(false);
    expect(passes(record('MODIFY', { ...txn, status: 'completed' }, { ...txn, status: 'running' }))).toBe(false);
    expect(passes(record('MODIFY', { ...txn, status: 'failed' }, { ...txn, status: 'running' }))).toBe(false);
    expect(passes(record('REMOVE', undefined, { ...txn, status: 'running' }))).toBe(false);
    expect(passes(record('INSERT', { ...txn, entity: 'ledger' }))).toBe(false);
  });
});
