import { Annotations, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, ConfigurationSetTlsPolicy, EmailIdentity, Identity, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { identityCovers } from './config.ts';

export interface AlertEmailProps {
  /**
   * The SES identity to send from: a domain or one email address, by name.
   * @default none - alert emails are off (the stream consumer still projects the ledger)
   */
  readonly identity?: string;
  /** The From address; must belong to the identity. @default `alerts@<domain>`, or the identity address */
  readonly fromAddress?: string;
  /**
   * Create the identity in SES (a domain is verified with the DKIM CNAME records in
   * `createdIdentity.dkimRecords`, an address by the link SES mails to it). The created identity is
   * retained when the stack is deleted. Off, the identity must already be verified in this account and
   * region: the stack only sends from it and never creates, changes or deletes it.
   * @default false
   */
  readonly createIdentity?: boolean;
}

/**
 * Balance alert emails over SES: a configuration set of its own (TLS required, bounces and complaints
 * suppressed, reputation metrics) that every send names, and the identity they are sent from (an
 * existing one by default; created only on request). `grantSendTo` lets a function send exactly
 * from that identity through that configuration set.
 */
export class AlertEmail extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** The identity, when `createIdentity` asked the stack to create it. */
  readonly createdIdentity?: EmailIdentity;
  /** ARN of the identity sends are authorized against, or undefined when alert emails are off. */
  readonly identityArn?: string;
  /** The From address, or undefined when alert emails are off. */
  readonly fromAddress?: string;

  constructor(scope: Construct, id: string, props: AlertEmailProps = {}) {
    super(scope, id);
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    if (!props.identity) {
      if (props.fromAddress) throw new Error('AlertEmail: fromAddress needs an identity to send from.');
      if (props.createIdentity) throw new Error('AlertEmail: createIdentity needs an identity to create.');
      Annotations.of(this).addWarningV2(
        'tollgate:alert-emails-off',
        'Balance alert emails are off: set the tollgate:sesIdentity context key (a domain or an address) to send them.',
      );
      return;
    }
    const isAddress = props.identity.includes('@');
    this.fromAddress = props.fromAddress ?? (isAddress ? props.identity : `alerts@${props.identity}`);
    if (!identityCovers(props.identity, this.fromAddress)) {
      throw new Error(`AlertEmail: ${this.fromAddress} is not covered by the SES identity ${props.identity}.`);
    }
    if (props.createIdentity) {
      // No default configuration set on it: the identity outlives the stack, the set does not; sends name the set.
      this.createdIdentity = new EmailIdentity(this, 'Identity', { identity: isAddress ? Identity.email(props.identity) : Identity.domain(props.identity) });
      this.createdIdentity.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.identityArn = this.createdIdentity.emailIdentityArn;
    } else {
      this.identityArn = Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: props.identity });
    }
  }

  /** The ARN of the configuration set, which SES also authorizes a send against. */
  get configurationSetArn(): string {
    return Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName });
  }

  /**
   * Tells the function where alert emails come from (`ALERT_FROM_ADDRESS`, `SES_CONFIGURATION_SET`)
   * and lets it send them: `ses:SendEmail`/`ses:SendRawEmail` on this identity and configuration set
   * only. Without an identity it sets `ALERT_EMAILS=off` and grants nothing.
   */
  grantSendTo(fn: LambdaFunction): void {
    if (!this.identityArn || !this.fromAddress) {
      fn.addEnvironment('ALERT_EMAILS', 'off');
      return;
    }
    fn.addEnvironment('ALERT_EMAILS', 'on');
    fn.addEnvironment('ALERT_FROM_ADDRESS', this.fromAddress);
    fn.addEnvironment('SES_CONFIGURATION_SET', this.configurationSet.configurationSetName);
    fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [this.identityArn, this.configurationSetArn] }));
  }
}
