import { sesSender } from '../alerts/ses-sender.ts';
import { httpHandler } from '../http/handler.ts';
import { priceBook } from '../pricing/configured.ts';
import { catalogService } from '../queries/service.ts';
import { systemClock } from '../shared/clock.ts';
import { paymentRoutes } from './routes.ts';

export const handler = httpHandler(paymentRoutes({ pricing: priceBook(), clock: systemClock, service: catalogService, sender: sesSender() }));
