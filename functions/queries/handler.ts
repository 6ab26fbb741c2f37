import { httpHandler } from '../http/handler.ts';
import { priceBook } from '../pricing/configured.ts';
import { systemClock } from '../shared/clock.ts';
import { queryRoutes } from './routes.ts';
import { catalogService } from './service.ts';

export const handler = httpHandler(queryRoutes({ service: catalogService, pricing: priceBook(), clock: systemClock }));
