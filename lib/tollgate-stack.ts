import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import { type PriceBook, PriceBookError } from '../functions/pricing/price-book.ts';
import { defaultRouteFunction, type HttpFunctionName, httpFunctions, routes } from '../functions/routes.ts';
import { AbandonedChargeSweeper } from './abandoned-charge-sweeper.ts';
import { AdminKeySecret } from './admin-key-secret.ts';
import { AlertEmail } from './alert-email.ts';
import { BalanceStream } from './balance-stream.ts';
import { CONTEXT_PREFIX, configFromContext, type TollgateConfig } from './config.ts';
import { customerEnvironment } from './customer-environment.ts';
import { DigestJobs } from './digest-jobs.ts';
import { FunnelDailyJob } from './funnel-daily-job.ts';
import { LedgerTable } from './ledger-table.ts';
import { LinkSigningSecret } from './link-signing-secret.ts';
import { MeteredFunction, type TollgateResources } from './metered-function.ts';
import { Monitoring } from './monitoring.ts';
import { PlanRenewal } from './plan-renewal.ts';
import { type PriceBookSource, resolvePriceBook } from './price-book-source.ts';
import { ReminderSchedules } from './reminder-schedules.ts';
import { StripeSecrets } from './stripe-secrets.ts';
import { type TableAccess, TollgateFunction, tollgateEntry } from './tollgate-function.ts';
import { TollgateHttpApi } from './tollgate-http-api.ts';
import { WebhookDelivery } from './webhook-delivery.ts';

export interface TollgateStackProps extends StackProps {
  /** @default read and validated from the `tollgate:*` CDK context keys */
  readonly config?: TollgateConfig;
  /**
   * Operations and their prices, top-up packs, plans and the default plan (`functions/pricing/price-book.ts`):
   * the object, or the path of a JSON file. Validated here, so a bad price book stops the synth.
   * @default the `tollgate:priceBook` context key; one of the two is required
   */
  readonly priceBook?: PriceBookSource;
  /**
   * Deploys the example metered service (`POST /v1/queries`, resume links), whose operations
   * `search`, `report` and `export` the price book must then price. @default the `tollgate:demoService` context key, else false
   */
  readonly demoService?: boolean;
}

/**
 * What each HTTP function may do: its table access (none for the health/404 function), whether
 * its code path reads the admin key (admin routes only: client routes recognize an admin key by
 * its shape, without reading the secret), and whether it makes or checks signed links.
 */
const httpFunctionAccess: Record<HttpFunctionName, { table?: TableAccess; adminKey: boolean; links: boolean; description: string }> = {
  health: { adminKey: false, links: false, description: 'Health check and the problem+json 404 for unknown routes.' },
  accounts: {
    table: 'RW',
    adminKey: true,
    links: true,
    description: 'Admin: accounts and API keys, copy overrides, and the operator console (its session cookie is signed like links).',
  },
  metering: { table: 'RW', adminKey: true, links: false, description: 'Admin: top-ups, debits and the ledger.' },
  // RW: a look at the usage after hitting the wall is recorded on the recovery funnel.
  usage: { table: 'RW', adminKey: false, links: true, description: 'Client: balance, prices and usage.' },
  queries: { table: 'RW', adminKey: false, links: true, description: 'Client: the metered example service (charged queries).' },
  alerts: { table: 'RW', adminKey: false, links: true, description: 'Client: alert settings and the one-click unsubscribe.' },
  reminders: { table: 'RW', adminKey: false, links: true, description: 'Remind me later: create and cancel reminders (API key or signed link).' },
  payments: { table: 'RW', adminKey: false, links: true, description: 'Checkout (signed Buy links), the page after paying, and the Stripe webhook.' },
  holds: { table: 'RW', adminKey: false, links: true, description: 'Client: holds for work priced afterwards (place, settle, release).' },
  reports: { table: 'RW', adminKey: true, links: true, description: 'Admin: the recovery funnel report, and the usage digest job on demand.' },
  webhooks: { table: 'RW', adminKey: true, links: false, description: 'Admin: outbound webhook endpoints and their deliveries.' },
};

/** The example metered service, deployed as a `MeteredFunction` like a platform team's endpoint; off unless `demoService`. */
const METERED_EXAMPLE: HttpFunctionName = 'queries';
/** What the example service sells; the ledger records these names, so they stay as they are. */
const DEMO_OPERATIONS = ['search', 'report', 'export'] as const;

/** The whole Tollgate deployment. It only composes the constructs in this folder. */
export class TollgateStack extends Stack {
  readonly config: TollgateConfig;
  /** The validated price book every function is built with. */
  readonly priceBook: PriceBook;
  /** Whether the example metered service (`/v1/queries`) is deployed. */
  readonly demoService: boolean;
  readonly ledger: LedgerTable;
  /** The functions behind the API; `queries` only with `demoService`. */
  readonly httpFunctions: Partial<Record<HttpFunctionName, TollgateFunction>> & Record<Exclude<HttpFunctionName, 'queries'>, TollgateFunction>;
  readonly balanceStream: BalanceStream;
  /** Remind me later: the one-time schedules' group, role and target, and their dead-letter queue. */
  readonly reminders: ReminderSchedules;
  /** The monthly plan renewal: its function, schedule and dead-letter queue. */
  readonly planRenewal: PlanRenewal;
  /** The daily recovery funnel job: lapsed episodes and the daily recovery rate. */
  readonly funnelDaily: FunnelDailyJob;
  /** The weekly and monthly usage digests. */
  readonly digests: DigestJobs;
  /** Refunds charges whose work was abandoned: its function, 5-minute schedule and dead-letter queue. */
  readonly abandonedChargeSweeper: AbandonedChargeSweeper;
  /** Outbound webhooks: the delivery queue, its dead-letter queue, the delivery function and its alarms. */
  readonly webhookDelivery: WebhookDelivery;
  readonly api: TollgateHttpApi;
  readonly adminKey: AdminKeySecret;
  readonly linkSigningKey: LinkSigningSecret;
  readonly alertEmail: AlertEmail;
  /** Stripe's API key and webhook signing secret, when `tollgate:stripe` is on. */
  readonly stripeSecrets?: StripeSecrets;
  /** What a `MeteredFunction` needs from this deployment: `new MeteredFunction(this, 'Mine', { tollgate: stack.resources, … })`. */
  readonly resources: TollgateResources;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: TollgateStackProps = {}) {
    super(scope, id, { description: 'Tollgate: serverless usage metering (API, ledger table, stream, schedules, alarms).', ...props });
    const config = props.config ?? configFromContext(this.node);
    this.config = config;
    this.priceBook = props.priceBook
      ? resolvePriceBook(props.priceBook, 'TollgateStack priceBook prop')
      : resolvePriceBook(config.priceBook, `${CONTEXT_PREFIX}priceBook`);
    this.demoService = props.demoService ?? config.demoService;
    if (this.demoService) assertDemoPriced(this.priceBook);
    const common = {
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      removalPolicy: config.removalPolicy,
      tracing: config.tracing,
      priceBook: this.priceBook,
    };

    this.ledger = new LedgerTable(this, 'Ledger', { removalPolicy: config.removalPolicy });
    this.adminKey = new AdminKeySecret(this, 'AdminKey', { removalPolicy: config.removalPolicy });
    this.linkSigningKey = new LinkSigningSecret(this, 'LinkSigningKey', { removalPolicy: config.removalPolicy });
    this.stripeSecrets = config.stripe ? new StripeSecrets(this, 'Stripe', { removalPolicy: config.removalPolicy }) : undefined;
    // Signed links (alert emails, the 402's usage page) need an absolute base URL: the API's own unless
    // publicUrl is set. Referencing the API's endpoint from its own integrations is no cycle: it depends
    // only on the API resource, while the routes and integrations depend on the functions (a test checks).
    // Link makers are also told whether checkout is offered (the Stripe key's ARN, which they cannot read).
    const environment = { ...customerEnvironment(config, () => this.api.url), ...this.stripeSecrets?.environment };
    this.resources = { table: this.ledger.table, linkSigningKey: this.linkSigningKey, priceBook: this.priceBook, environment, functionSettings: common };
    this.alertEmail = new AlertEmail(this, 'AlertEmail', {
      identity: config.sesIdentity,
      fromAddress: config.alertFromAddress,
      createIdentity: config.createSesIdentity,
    });

    const fns = {} as TollgateStack['httpFunctions'];
    for (const name of Object.keys(httpFunctions) as HttpFunctionName[]) {
      if (name === METERED_EXAMPLE && !this.demoService) continue;
      const access = httpFunctionAccess[name];
      const props = { entry: tollgateEntry(httpFunctions[name]), description: access.description, environment, ...common };
      if (name === METERED_EXAMPLE) {
        // The example metered service is deployed with the construct platform teams use.
        fns[name] = new MeteredFunction(this, `${capitalize(name)}Function`, { ...props, tollgate: this.resources });
        continue;
      }
      const fn = new TollgateFunction(this, `${capitalize(name)}Function`, props);
      if (access.table) fn.bindTable(this.ledger.table, access.table);
      if (access.adminKey) this.adminKey.grantReadTo(fn);
      if (access.links) this.linkSigningKey.grantReadTo(fn);
      if (name === 'payments') this.stripeSecrets?.grantReadTo(fn);
      fns[name] = fn;
    }
    this.httpFunctions = fns;

    this.balanceStream = new BalanceStream(this, 'BalanceStream', { table: this.ledger.table, environment, ...common });
    this.linkSigningKey.grantReadTo(this.balanceStream.function);
    this.alertEmail.grantSendTo(this.balanceStream.function);
    // Receipts for payments are sent like alert emails.
    this.alertEmail.grantSendTo(fns.payments);
    // The digest job on demand sends digests like the scheduled one.
    this.alertEmail.grantSendTo(fns.reports);

    // Reminder emails are alert emails: the firing function gets what the stream consumer gets to send them.
    this.reminders = new ReminderSchedules(this, 'Reminders', { table: this.ledger.table, environment, ...common });
    this.linkSigningKey.grantReadTo(this.reminders.function);
    this.alertEmail.grantSendTo(this.reminders.function);
    this.reminders.grantScheduling(fns.reminders);

    this.planRenewal = new PlanRenewal(this, 'PlanRenewal', { table: this.ledger.table, ...common });
    this.funnelDaily = new FunnelDailyJob(this, 'FunnelDaily', { table: this.ledger.table, ...common });
    this.digests = new DigestJobs(this, 'Digests', { table: this.ledger.table, environment, ...common });
    for (const fn of this.digests.functions) {
      this.linkSigningKey.grantReadTo(fn);
      this.alertEmail.grantSendTo(fn);
    }
    this.abandonedChargeSweeper = new AbandonedChargeSweeper(this, 'AbandonedChargeSweeper', { table: this.ledger.table, ...common });
    this.webhookDelivery = new WebhookDelivery(this, 'WebhookDelivery', { table: this.ledger.table, ...common });
    this.webhookDelivery.grantEnqueue(this.balanceStream.function);
    this.webhookDelivery.grantEnqueue(fns.webhooks);

    this.api = new TollgateHttpApi(this, 'Http', {
      routes: routes.filter((route) => fns[route.function] !== undefined),
      functions: fns,
      defaultRouteFunction,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      corsAllowedOrigins: config.corsAllowedOrigins,
      accessLogRetentionDays: config.logRetentionDays,
      removalPolicy: config.removalPolicy,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: this.api.stage,
      meteredRoutes: this.api,
      table: this.ledger.table,
      functions: {
        ...fns,
        streams: this.balanceStream.function,
        reminderFire: this.reminders.function,
        planRenewal: this.planRenewal.function,
        funnelDaily: this.funnelDaily.function,
        weeklyDigest: this.digests.weekly.function,
        monthlyDigest: this.digests.monthly.function,
        sweeper: this.abandonedChargeSweeper.function,
        webhookDelivery: this.webhookDelivery.function,
      },
      streamConsumer: this.balanceStream.function,
      onFailureQueue: this.balanceStream.onFailureQueue,
      deadLetterQueues: {
        Reminders: this.reminders.deadLetterQueue,
        PlanRenewal: this.planRenewal.deadLetterQueue,
        FunnelDaily: this.funnelDaily.deadLetterQueue,
        WeeklyDigest: this.digests.weekly.deadLetterQueue,
        MonthlyDigest: this.digests.monthly.deadLetterQueue,
        Sweeper: this.abandonedChargeSweeper.deadLetterQueue,
        WebhookDelivery: this.webhookDelivery.deadLetterQueue,
      },
      alarmEmails: config.alarmEmails,
      api5xxRateThreshold: config.api5xxRateThreshold,
      streamIteratorAgeSeconds: config.streamIteratorAgeSeconds,
      removalPolicy: config.removalPolicy,
    });
    for (const alarm of this.webhookDelivery.alarms) {
      alarm.addAlarmAction(new SnsAction(this.monitoring.topic));
      alarm.addOkAction(new SnsAction(this.monitoring.topic));
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the Tollgate API.' });
    new CfnOutput(this, 'AdminKeySecretArn', {
      value: this.adminKey.secret.secretArn,
      description: 'Admin key: aws secretsmanager get-secret-value --secret-id <this ARN> --query SecretString --output text',
    });
    new CfnOutput(this, 'TableName', { value: this.ledger.table.tableName, description: 'The ledger table.' });
    new CfnOutput(this, 'DashboardUrl', { value: this.monitoring.dashboardUrl, description: 'CloudWatch dashboard.' });
    new CfnOutput(this, 'LinkSigningSecretArn', { value: this.linkSigningKey.secret.secretArn, description: 'HMAC key of signed links.' });
    new CfnOutput(this, 'SesConfigurationSet', {
      value: this.alertEmail.configurationSet.configurationSetName,
      description: 'SES configuration set of alert emails.',
    });
    if (this.alertEmail.fromAddress) {
      new CfnOutput(this, 'AlertFromAddress', {
        value: this.alertEmail.fromAddress,
        description: 'Sender of alert emails (its SES identity must be verified).',
      });
    }
    const created = this.alertEmail.createdIdentity;
    if (created && !config.sesIdentity?.includes('@')) {
      created.dkimRecords.forEach((record, i) => {
        new CfnOutput(this, `SesDkimRecord${i + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: 'DNS record that verifies the SES domain.',
        });
      });
    }
    if (this.stripeSecrets) {
      new CfnOutput(this, 'StripeWebhookUrl', {
        value: config.publicUrl ? `${config.publicUrl.replace(/\/+$/, '')}/v1/webhooks/stripe` : `${this.api.url}v1/webhooks/stripe`,
        description: 'Register this endpoint in the Stripe Dashboard (events: see README "Taking payments").',
      });
      new CfnOutput(this, 'StripeApiKeySecretArn', { value: this.stripeSecrets.apiKey.secretArn, description: 'Put your Stripe secret key (sk_…) here.' });
      new CfnOutput(this, 'StripeWebhookSecretArn', {
        value: this.stripeSecrets.webhookSecret.secretArn,
        description: 'Put the webhook endpoint signing secret (whsec_…) here.',
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'SNS topic of all alarms; subscribe more endpoints here.' });
  }
}

function assertDemoPriced(book: PriceBook): void {
  const unpriced = DEMO_OPERATIONS.filter((operation) => !Object.hasOwn(book.operations, operation));
  if (unpriced.length > 0) {
    throw new PriceBookError(
      'demoService',
      unpriced.map((operation) => `priceBook.operations.${operation}: the example service sells it; give it a price`),
    );
  }
}

const capitalize = (name: string) => `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
