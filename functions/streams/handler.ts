import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { AccountItem } from '../accounts/model.ts';
import { ledgerEntryFor } from '../metering/ledger-projection.ts';
import { putLedgerEntry } from '../metering/ledger-store.ts';
import { logger } from '../shared/logger.ts';

type Image = Record<string, AttributeValue>;

function imageOf(image: object | undefined): Record<string, unknown> | undefined {
  return image ? unmarshall(image as Image) : undefined;
}

/** Projects one stream record of an account item into its ledger entry. */
async function projectLedger(record: DynamoDBRecord): Promise<void> {
  const newImage = imageOf(record.dynamodb?.NewImage);
  if (newImage?.entity !== 'account') return;
  const entry = ledgerEntryFor(imageOf(record.dynamodb?.OldImage) as Partial<AccountItem> | undefined, newImage as Partial<AccountItem>);
  if (entry) await putLedgerEntry(String(newImage.id), entry);
}

/**
 * The table's stream consumer. Records of one account arrive in order; a failed record and
 * everything after it in the batch are reported back for redelivery (ReportBatchItemFailures),
 * so nothing is skipped and order is kept. Every step is idempotent, so redelivery is safe.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    try {
      await projectLedger(record);
    } catch (error) {
      logger.error('stream record failed', { error, eventId: record.eventID });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
