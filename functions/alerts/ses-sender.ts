import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { config } from '../shared/config.ts';
import type { RenderedEmail } from './email.ts';

export interface EmailSender {
  send(to: string, email: RenderedEmail, tags: Record<string, string>): Promise<string | undefined>;
}

/**
 * Sends through SES v2 as a Simple message, so custom headers (List-Unsubscribe) are kept.
 * The client is made on first use, after configuration is in place.
 */
export function sesSender(endpointOverride?: string): EmailSender {
  let client: SESv2Client | undefined;
  const connect = () => {
    const endpoint = endpointOverride ?? config().SES_ENDPOINT;
    return new SESv2Client(
      endpoint
        ? { endpoint, region: process.env.AWS_REGION ?? 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 }
        : { maxAttempts: 3 },
    );
  };
  return {
    async send(to, email, tags) {
      client ??= connect();
      const { MessageId } = await client.send(
        new SendEmailCommand({
          FromEmailAddress: fromHeader(config().ALERT_FROM_NAME, config().ALERT_FROM_ADDRESS),
          Destination: { ToAddresses: [to] },
          ConfigurationSetName: config().SES_CONFIGURATION_SET,
          EmailTags: Object.entries(tags).map(([Name, Value]) => ({ Name, Value })),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
              Headers: email.headers.map(({ name, value }) => ({ Name: name, Value: value })),
            },
          },
        }),
      );
      return MessageId;
    },
  };
}

/**
 * The sender as people see it: `"Display Name" <address>`, the name as an RFC 2047 encoded word
 * when it is not plain ASCII (SES needs that for non-ASCII display names).
 */
export function fromHeader(name: string, address: string): string {
  const trimmed = name.trim();
  if (!trimmed) return address;
  const display = /^[\x20-\x7E]*$/.test(trimmed)
    ? `"${trimmed.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
    : `=?UTF-8?B?${Buffer.from(trimmed).toString('base64')}?=`;
  return `${display} <${address}>`;
}

/** SES refusals that retrying cannot fix. */
const PERMANENT = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
  // The sending identity is not allowed to send (no SES production access, or a missing grant).
  'AccessDeniedException',
]);

export function isPermanentSendFailure(error: unknown): boolean {
  return error instanceof Error && PERMANENT.has(error.name);
}
