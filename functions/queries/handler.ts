import { httpHandler } from '../http/handler.ts';
import { pricing } from '../pricing/catalog.ts';
import { systemClock } from '../shared/clock.ts';
import { queryRoutes } from './routes.ts';
import { catalogService } from './service.ts';

export const handler = httpHandler(queryRoutes({ service: catalogService, pricing, clock: systemClock }));
