import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AccountItem } from '../accounts/model.ts';
import { findAccount } from '../accounts/store.ts';
import { type AlertDeps, alertOnBalanceChange, alertOnRefusal } from '../alerts/notify.ts';
import { sesSender } from '../alerts/ses-sender.ts';
import { ledgerEntryFor } from '../metering/ledger-projection.ts';
import { putLedgerEntry } from '../metering/ledger-store.ts';
import type { TxnItem } from '../metering/txn.ts';
import { priceBook } from '../pricing/configured.ts';
import { autoResume } from '../queries/auto-resume.ts';
import { catalogService } from '../queries/service.ts';
import { recordDepletionStart, recordRecovery } from '../recovery/depletion-stats.ts';
import { systemClock } from '../shared/clock.ts';
import { config } from '../shared/config.ts';

function imageOf<T>(image: object | undefined): T | undefined {
  return image ? (unmarshall(image as Record<string, AttributeValue>) as T) : undefined;
}

/** Off on AWS until an SES identity is configured (`tollgate:sesIdentity`). */
const alertEmailsOn = () => config().ALERT_EMAILS === 'on';

/**
 * What one stream record means: a balance change feeds the ledger, the recovery statistic and
 * threshold alerts, and a top-up may run parked queries (auto-resume); a refused query starts a
 * depletion sample and sends the depletion alert.
 */
async function processRecord(record: DynamoDBRecord, deps: AlertDeps): Promise<void> {
  const newImage = imageOf<Record<string, unknown>>(record.dynamodb?.NewImage);
  if (newImage?.entity === 'account') {
    const oldAccount = imageOf<AccountItem>(record.dynamodb?.OldImage);
    const account = newImage as unknown as AccountItem;
    const entry = ledgerEntryFor(oldAccount, account);
    if (entry) await putLedgerEntry(account.id, entry);
    if (oldAccount && (account.baselineSeq ?? 0) > (oldAccount.baselineSeq ?? 0)) {
      await recordRecovery(account.id, oldAccount.baselineSeq ?? 0, account.lastChange?.at ?? account.updatedAt);
      if (account.autoResume) await autoResume(account, catalogService, deps);
    }
    if (alertEmailsOn()) await alertOnBalanceChange(oldAccount, account, deps);
  } else if (newImage?.entity === 'txn' && record.eventName === 'INSERT' && (newImage.status === 'parked' || newImage.status === 'refused')) {
    const txn = newImage as unknown as TxnItem;
    const account = await findAccount(txn.accountId);
    if (!account) return;
    await recordDepletionStart(account, txn.createdAt);
    if (alertEmailsOn()) await alertOnRefusal(txn, account, deps);
  }
}

/**
 * The table's stream consumer. Records are processed in order (one account's changes must
 * not overtake each other); a record that throws is reported in `batchItemFailures`, so Lambda
 * retries from it, and every step is idempotent, so redelivery never double-writes or double-sends.
 */
export function createStreamHandler(deps: AlertDeps) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
    processPartialResponse(event, (record: DynamoDBRecord) => processRecord(record, deps), processor, { processInParallel: false });
}

export const handler = createStreamHandler({ sender: sesSender(), clock: systemClock, pricing: priceBook() });
