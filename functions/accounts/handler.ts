import { adminAlertRoutes } from '../alerts/routes.ts';
import { httpHandler } from '../http/handler.ts';
import { pricing } from '../pricing/catalog.ts';
import { systemClock } from '../shared/clock.ts';
import { accountRoutes } from './routes.ts';

export const handler = httpHandler({ ...accountRoutes({ pricing, clock: systemClock }), ...adminAlertRoutes({ clock: systemClock }) });
