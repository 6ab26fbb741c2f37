import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinition } from '../functions/table/definition.ts';
import type { RemovalPolicyName } from './config.ts';

const attributeTypes = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;

export interface LedgerTableProps {
  /**
   * `retain` keeps the table when the stack is deleted and turns on deletion protection;
   * `destroy` is for throwaway test stacks.
   * @default 'retain'
   */
  readonly removalPolicy?: RemovalPolicyName;
}

/**
 * Tollgate's single table, built from the same definition object the local stack and the
 * tests use: on-demand, Streams (NEW_AND_OLD_IMAGES), TTL, point-in-time recovery,
 * encryption with the AWS managed key, and retained with deletion protection by default.
 */
export class LedgerTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: LedgerTableProps = {}) {
    super(scope, id);
    const retain = (props.removalPolicy ?? 'retain') === 'retain';
    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey.name, type: attributeTypes[tableDefinition.partitionKey.type] },
      sortKey: { name: tableDefinition.sortKey.name, type: attributeTypes[tableDefinition.sortKey.type] },
      billingMode: tableDefinition.billingMode === 'PAY_PER_REQUEST' ? BillingMode.PAY_PER_REQUEST : BillingMode.PROVISIONED,
      stream: StreamViewType[tableDefinition.streamViewType],
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
