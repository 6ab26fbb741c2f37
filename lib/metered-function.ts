import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { PriceBook } from '../functions/pricing/price-book.ts';
import type { GeneratedSecret } from './generated-secret.ts';
import { TollgateFunction, type TollgateFunctionProps } from './tollgate-function.ts';

/** The parts of a Tollgate deployment a metered function uses. A `TollgateStack` is one. */
export interface TollgateResources {
  /** The ledger table: balances, txn records, the ledger. */
  readonly table: ITable;
  /** Read to tell a caller who sends the admin key to a metered route what went wrong. */
  readonly adminKey: GeneratedSecret;
  /** Signs the usage link in the 402 answer. */
  readonly linkSigningKey: GeneratedSecret;
  /** Prices `meter({ price: 'operation' })` and the 402's packs and plans; baked into the bundle. */
  readonly priceBook: PriceBook;
}

export interface MeteredFunctionProps extends TollgateFunctionProps {
  /** The Tollgate deployment that keeps the credits, e.g. `tollgateStack.resources`. */
  readonly tollgate: TollgateResources;
}

/**
 * A Lambda function whose handler is wrapped in `meter()` (`functions/metering/meter.ts`): a
 * {@link TollgateFunction} (Node.js 24, arm64, bundled, logs with retention) bound read-write to
 * the ledger table, allowed to read exactly the admin key and link signing secrets, and told
 * where they are (`TABLE_NAME`, `ADMIN_KEY_SECRET_ARN`, `LINK_SIGNING_SECRET_ARN`). Put it
 * behind the API with `TollgateHttpApi.addMeteredRoute`, or behind your own HTTP API.
 *
 * @example
 * const thumbnails = new MeteredFunction(this, 'Thumbnails', {
 *   entry: 'src/thumbnails/handler.ts',
 *   projectRoot: __dirname,
 *   description: 'Renders thumbnails, 1 credit per page.',
 *   tollgate: tollgate.resources,
 * });
 * tollgate.api.addMeteredRoute('POST', '/v1/thumbnails', thumbnails);
 */
export class MeteredFunction extends TollgateFunction {
  constructor(scope: Construct, id: string, props: MeteredFunctionProps) {
    super(scope, id, { ...props, priceBook: props.priceBook ?? props.tollgate.priceBook });
    this.bindTable(props.tollgate.table, 'RW');
    props.tollgate.adminKey.grantReadTo(this);
    props.tollgate.linkSigningKey.grantReadTo(this);
  }
}
