import { httpHandler } from '../http/handler.ts';
import { priceBook } from '../pricing/configured.ts';
import { systemClock } from '../shared/clock.ts';
import { usageRoutes } from './routes.ts';

export const handler = httpHandler(usageRoutes({ pricing: priceBook(), clock: systemClock }));
