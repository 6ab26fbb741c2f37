import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, tableName } from '../shared/dynamodb.ts';
import { ConflictError } from '../shared/errors.ts';
import { COPY_VERSION_PREFIX, keys } from '../table/keys.ts';
import type { Locale } from './locales.ts';
import type { Overrides } from './render.ts';
import type { Experiment } from './variants.ts';

/** One saved state of a locale's overrides: what, who, when, and how it came to be. */
export interface CopyVersion {
  locale: Locale;
  version: number;
  messages: Overrides;
  by: string;
  at: string;
  /** `restore` names the version it brought back. */
  action: 'put' | 'restore';
  restoredFrom?: number;
}

/** The overrides in force for a locale; undefined when none were ever saved. */
export async function currentOverrides(locale: Locale): Promise<CopyVersion | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.copyCurrent(locale), ConsistentRead: true }));
  return Item ? versionOf(Item) : undefined;
}

export async function copyVersion(locale: Locale, version: number): Promise<CopyVersion | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.copyVersion(locale, version) }));
  return Item ? versionOf(Item) : undefined;
}

/** The newest versions first. */
export async function copyVersions(locale: Locale, limit: number): Promise<CopyVersion[]> {
  const { Items = [] } = await documentClient().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.copyCurrent(locale).pk, ':prefix': COPY_VERSION_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return Items.map(versionOf);
}

/**
 * Saves a new version and makes it current, in one transaction: the version after `previous`
 * (0 when there was none), so two operators saving at once cannot both win — the second gets a 409.
 */
export async function saveVersion(next: CopyVersion, previous: number): Promise<void> {
  const item = { entity: 'copy', ...next };
  try {
    await documentClient().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: { ...keys.copyCurrent(next.locale), ...item },
              ConditionExpression: previous === 0 ? 'attribute_not_exists(pk)' : 'version = :previous',
              ExpressionAttributeValues: previous === 0 ? undefined : { ':previous': previous },
            },
          },
          {
            Put: { TableName: tableName(), Item: { ...keys.copyVersion(next.locale, next.version), ...item }, ConditionExpression: 'attribute_not_exists(pk)' },
          },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'TransactionCanceledException') {
      throw new ConflictError(`The ${next.locale} copy was changed by someone else meanwhile; load it again and reapply your change.`);
    }
    throw error;
  }
}

function versionOf(item: Record<string, unknown>): CopyVersion {
  const { locale, version, messages, by, at, action, restoredFrom } = item as unknown as CopyVersion;
  return { locale, version, messages, by, at, action, restoredFrom };
}

/** The locale's experiment, running or switched off; undefined when none was ever set up. */
export async function currentExperiment(locale: Locale): Promise<Experiment | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName(), Key: keys.copyExperiment(locale), ConsistentRead: true }));
  if (!Item) return undefined;
  const { id, enabled, variants, by, at, revision } = Item as unknown as Experiment;
  return { id, enabled, variants, by, at, revision };
}

/** Saves the experiment if nobody changed it since `revision` was read (0: there was none). */
export async function saveExperiment(locale: Locale, experiment: Experiment): Promise<void> {
  const previous = experiment.revision - 1;
  try {
    await documentClient().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...keys.copyExperiment(locale), entity: 'copyExperiment', ...experiment },
        ConditionExpression: previous === 0 ? 'attribute_not_exists(pk)' : 'revision = :previous',
        ExpressionAttributeValues: previous === 0 ? undefined : { ':previous': previous },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new ConflictError(`The ${locale} experiment was changed by someone else meanwhile; load it again and reapply your change.`);
    }
    throw error;
  }
}

/**
 * The variant of an account for its whole depletion episode: the first surface of the episode
 * records it on the episode item (`copyVariant`, with `copyExperiment`), every later one reads it
 * back, so a change of weights mid-episode does not move the customer. A new experiment
 * (switched on again) assigns afresh.
 */
export async function episodeVariant(accountId: string, baselineSeq: number, experimentId: string, assigned: string): Promise<string> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.alertEpisode(accountId, baselineSeq),
        UpdateExpression: 'SET copyVariant = :variant, copyExperiment = :experiment',
        ConditionExpression: 'attribute_not_exists(copyExperiment) OR copyExperiment <> :experiment',
        ExpressionAttributeValues: { ':variant': assigned, ':experiment': experimentId },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return assigned;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return (error.Item?.copyVariant?.S as string | undefined) ?? assigned;
    throw error;
  }
}
