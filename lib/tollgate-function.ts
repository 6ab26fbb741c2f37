import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PriceBook } from '../functions/pricing/price-book.ts';
import { BUNDLE_ENTRY, bundledCode } from './bundling.ts';
import type { RemovalPolicyName, TollgateConfig } from './config.ts';
import { priceBookDefine } from './price-book-source.ts';

/** How a function may use the table. */
export type TableAccess = 'RO' | 'RW';

/**
 * The exact DynamoDB actions behind each access mode: only what Tollgate's stores call.
 * Transactions need no action of their own; each item in one needs its Put/Update/Delete/ConditionCheck.
 */
export const tableActions = {
  RO: ['dynamodb:GetItem', 'dynamodb:Query'],
  RW: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
} as const satisfies Record<TableAccess, readonly string[]>;

/** Where Tollgate's own files are: the repository root when run from source, `dist/` when installed as a package. */
const PACKAGE_ROOT = path.resolve(import.meta.dirname, '..');
/** `.ts` from source, `.js` from the compiled package: Tollgate's own handler entries have the same extension. */
const OWN_EXTENSION = path.extname(import.meta.filename);

/**
 * The absolute entry of one of Tollgate's own handlers, e.g. `tollgateEntry('functions/streams/handler.ts')`:
 * the source file in this repository, the compiled `.js` file under `node_modules/tollgate/dist/` when installed.
 */
export function tollgateEntry(file: string): string {
  return path.join(PACKAGE_ROOT, file.replace(/\.ts$/, OWN_EXTENSION));
}

/** Lock files that mark a project's root, in the order they are looked for. */
const LOCK_FILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'] as const;

/**
 * The nearest lock file at or above `from`: the project whose dependencies esbuild bundles.
 * A package never ships its own lock file, so this looks in the consumer's project, never in Tollgate's.
 */
export function findLockFile(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const found = LOCK_FILES.map((name) => path.join(dir, name)).find((file) => existsSync(file));
    if (found) return found;
    if (path.dirname(dir) === dir) {
      throw new Error(`TollgateFunction: no lock file (${LOCK_FILES.join(', ')}) in ${from} or above; set projectRoot (or depsLockFilePath).`);
    }
  }
}

/** Metrics namespace of the Powertools EMF metrics the handlers emit; the dashboard reads it. */
export const METRICS_NAMESPACE = 'Tollgate';
/** Powertools service name of every function (the `service` dimension of its metrics). */
export const SERVICE_NAME = 'tollgate';

/** The settings every construct that owns functions takes from the stack's config. */
export interface FunctionSettings {
  /** Log retention in days; must be a value CloudWatch Logs accepts. @default 30 */
  readonly logRetentionDays?: TollgateConfig['logRetentionDays'];
  /** Powertools log level. @default 'INFO' */
  readonly logLevel?: TollgateConfig['logLevel'];
  /** Whether what the construct keeps (log groups, queues) outlives the stack. @default 'retain' */
  readonly removalPolicy?: RemovalPolicyName;
  /** The deployment's price book, validated at synth and baked into the bundle (see `priceBookDefine`). @default none: a function that reads prices fails on its first read */
  readonly priceBook?: PriceBook;
  /** X-Ray active tracing: each invocation's segment with its initialization, invocation and overhead. @default false */
  readonly tracing?: boolean;
}

export interface TollgateFunctionProps extends FunctionSettings {
  /** Entry file exporting the handler: absolute, or relative to `projectRoot`. Tollgate's own handlers use {@link tollgateEntry}. */
  readonly entry: string;
  /**
   * Name of the entry's export Lambda calls (one entry file may export several handlers).
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * The project that is bundled from: its esbuild runs there and resolves the entry's imports from its
   * `node_modules` (Tollgate's own handlers included, under `node_modules/tollgate`).
   * @default the directory of `depsLockFilePath`
   */
  readonly projectRoot?: string;
  /**
   * A lock file that marks the project to bundle from (its directory is the default `projectRoot`); not read when
   * `projectRoot` is given.
   * @default the nearest lock file at or above the current working directory (your CDK app's project)
   */
  readonly depsLockFilePath?: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** @default 1024 MB: on arm64 this also buys CPU, which shortens cold starts */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Extra environment variables. */
  readonly environment?: Record<string, string>;
}

/**
 * A Tollgate Lambda function with the defaults fixed once: Node.js 24 on arm64, esbuild
 * bundling with code splitting (`bundleOptions`: ESM, minified, source maps, AWS SDK bundled so the
 * version is the one we tested, rarely used code in chunks loaded on first use),
 * Powertools service name and log level, JSON logs in its own log group with a retention
 * period, and a role that starts with nothing but writing to that log group.
 * Grant table access with {@link TollgateFunction.bindTable}.
 */
export class TollgateFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: TollgateFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: (props.logRetentionDays ?? 30) as RetentionDays,
      removalPolicy: (props.removalPolicy ?? 'retain') === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log group.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function: its own log group, plus what bindTable and grants add.`,
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    const projectRoot = props.projectRoot ?? path.dirname(props.depsLockFilePath ?? findLockFile(process.cwd()));
    const entry = path.resolve(projectRoot, props.entry);
    if (!existsSync(entry)) throw new Error(`TollgateFunction ${id}: no entry file at ${entry}.`);
    const exported = props.handler ?? 'handler';
    // Lambda's handler setting is `<file>.<export>`; a dotted name would be read as a file path and fail only when invoked.
    if (!/^[A-Za-z_$][\w$]*$/.test(exported))
      throw new Error(`TollgateFunction ${id}: handler must be the name of the entry's export, such as "handler"; got "${exported}".`);
    super(scope, id, {
      code: bundledCode({
        entry,
        projectRoot,
        define: props.priceBook ? priceBookDefine(props.priceBook, `${id}: priceBook`) : undefined,
      }),
      handler: `${BUNDLE_ENTRY}.${exported}`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      tracing: props.tracing ? Tracing.ACTIVE : undefined,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
    });
    if (props.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray trace segments cannot be scoped to a resource: xray:PutTraceSegments and xray:PutTelemetryRecords take only "*".',
      });
    }
  }

  /**
   * Injects `TABLE_NAME` and grants exactly the actions of the access mode on this table
   * (the table has no indexes, so nothing else is granted).
   */
  bindTable(table: ITable, access: TableAccess): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    this.addToRolePolicy(new PolicyStatement({ actions: [...tableActions[access]], resources: [table.tableArn] }));
    return this;
  }
}
