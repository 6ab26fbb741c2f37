/**
 * The one definition of Tollgate's single DynamoDB table. CDK (`lib/ledger-table.ts`),
 * the local stack and the tests all build the table from this object.
 */
export const tableDefinition = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAtEpoch',
  streamViewType: 'NEW_AND_OLD_IMAGES',
  billingMode: 'PAY_PER_REQUEST',
} as const;

/** CreateTable input for DynamoDB Local (and any SDK-created table). */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: tableDefinition.partitionKey.name, AttributeType: tableDefinition.partitionKey.type },
      { AttributeName: tableDefinition.sortKey.name, AttributeType: tableDefinition.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: tableDefinition.sortKey.name, KeyType: 'RANGE' as const },
    ],
    BillingMode: tableDefinition.billingMode,
    StreamSpecification: { StreamEnabled: true, StreamViewType: tableDefinition.streamViewType },
  };
}
