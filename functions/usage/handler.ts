import { httpHandler } from '../http/handler.ts';
import { pricing } from '../pricing/catalog.ts';
import { systemClock } from '../shared/clock.ts';
import { usageRoutes } from './routes.ts';

export const handler = httpHandler(usageRoutes({ pricing, clock: systemClock }));
