import { sesSender } from '../alerts/ses-sender.ts';
import { httpHandler } from '../http/handler.ts';
import { pricing } from '../pricing/catalog.ts';
import { catalogService } from '../queries/service.ts';
import { systemClock } from '../shared/clock.ts';
import { paymentRoutes } from './routes.ts';

export const handler = httpHandler(paymentRoutes({ pricing, clock: systemClock, service: catalogService, sender: sesSender() }));
