import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { PriceBook } from '../functions/pricing/price-book.ts';
import type { GeneratedSecret } from './generated-secret.ts';
import { type FunctionSettings, TollgateFunction, type TollgateFunctionProps } from './tollgate-function.ts';

/** The parts of a Tollgate deployment a metered function uses. A `TollgateStack`'s `resources` are one. */
export interface TollgateResources {
  /** The ledger table: balances, txn records, the ledger. */
  readonly table: ITable;
  /** Signs the usage link in the 402 answer. */
  readonly linkSigningKey: GeneratedSecret;
  /** Prices `meter({ price: 'operation' })` and the 402's packs and plans; baked into the bundle. */
  readonly priceBook: PriceBook;
  /**
   * What every function that answers customers is told (public URL, billing URL, TTLs, link lifetime):
   * the stack's `customerEnvironment`, the same one its own functions get.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** The deployment's log retention, log level, removal policy and tracing, the defaults of every metered function. */
  readonly functionSettings: FunctionSettings;
}

export interface MeteredFunctionProps extends TollgateFunctionProps {
  /** The Tollgate deployment that keeps the credits, e.g. `tollgateStack.resources`. */
  readonly tollgate: TollgateResources;
}

/**
 * Exactly the table access `meter()` needs, by the partition key prefixes of `functions/table/keys.ts`:
 * it reads API keys (`APIKEY#`), the platform's tenant ids (`EXTERNAL#`), accounts with their txns and ledger (`ACCOUNT#`) and the depletion
 * statistics and the copy overrides the 402 quotes (`STATS#DEPLETION#`, `COPY#`); it writes only items of accounts (the debit, the txn
 * record, the refund), and deletes only a keyed charge's own `running` record whose debit was refused outright, so that
 * a refusal leaves nothing behind (`PutItem` on the same keys could replace any of them anyway). No Scan, no BatchWrite.
 */
export const meteredTableAccess = {
  read: { actions: ['dynamodb:GetItem', 'dynamodb:Query'], leadingKeys: ['ACCOUNT#*', 'APIKEY#*', 'EXTERNAL#*', 'STATS#DEPLETION#*', 'COPY#*'] },
  write: { actions: ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], leadingKeys: ['ACCOUNT#*'] },
} as const;

/**
 * A Lambda function whose handler is wrapped in `meter()` (`tollgate/meter`): a {@link TollgateFunction}
 * (Node.js 24, arm64, bundled, logs with retention) that may charge, settle and refund on the ledger
 * table ({@link meteredTableAccess}, restricted by `dynamodb:LeadingKeys`), read the link signing
 * secret for the 402's usage link, and nothing else: it cannot read the admin key. It gets the same
 * settings as Tollgate's own customer-facing functions (`TollgateResources.environment`, and the
 * deployment's log retention, log level and tracing unless given) plus `TABLE_NAME` and `LINK_SIGNING_SECRET_ARN`. Put it behind the API with
 * `TollgateHttpApi.addMeteredRoute`, which also gives the route alarms and dashboard widgets.
 *
 * @example
 * const thumbnails = new MeteredFunction(tollgate, 'Thumbnails', {
 *   entry: 'src/thumbnails/handler.ts',
 *   description: 'Renders thumbnails, 1 credit per page.',
 *   tollgate: tollgate.resources,
 * });
 * tollgate.api.addMeteredRoute('POST', '/v1/thumbnails', thumbnails);
 */
export class MeteredFunction extends TollgateFunction {
  constructor(scope: Construct, id: string, props: MeteredFunctionProps) {
    super(scope, id, {
      ...props.tollgate.functionSettings,
      ...props,
      priceBook: props.priceBook ?? props.tollgate.priceBook,
      environment: { ...props.tollgate.environment, ...props.environment },
    });
    const { table } = props.tollgate;
    this.addEnvironment('TABLE_NAME', table.tableName);
    for (const { actions, leadingKeys } of Object.values(meteredTableAccess)) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: [...actions],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
        }),
      );
    }
    props.tollgate.linkSigningKey.grantReadTo(this);
  }
}
