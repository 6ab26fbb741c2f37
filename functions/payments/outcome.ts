import type { EmailSender } from '../alerts/ses-sender.ts';
import type { PriceBook } from '../pricing/price-book.ts';
import type { MeteredService } from '../queries/service.ts';
import type { Clock } from '../shared/clock.ts';

/** What the webhook handlers need: the price book, the clock, the service that runs parked queries, the email sender. */
export interface PaymentDeps {
  pricing: PriceBook;
  clock: Clock;
  service: MeteredService;
  sender: EmailSender;
}

/**
 * What an event did. `ignored` events name an account, pack or plan Tollgate does not know, or
 * are of a type it does not handle: acknowledged so the provider stops retrying, changed
 * nothing, logged and counted.
 */
export type EventOutcome = { result: 'applied' | 'duplicate' | 'no-change'; detail: string } | { result: 'ignored'; reason: string };

export const ignored = (reason: string): EventOutcome => ({ result: 'ignored', reason });
