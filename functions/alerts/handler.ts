import { httpHandler } from '../http/handler.ts';
import { systemClock } from '../shared/clock.ts';
import { alertRoutes } from './routes.ts';

export const handler = httpHandler(alertRoutes({ clock: systemClock }));
