import { httpHandler } from '../http/handler.ts';
import { priceBook } from '../pricing/configured.ts';
import { systemClock } from '../shared/clock.ts';
import { holdRoutes } from './routes.ts';

export const handler = httpHandler(holdRoutes({ pricing: priceBook(), clock: systemClock }));
