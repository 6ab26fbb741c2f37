import { httpHandler } from '../http/handler.ts';
import { systemClock } from '../shared/clock.ts';
import { reportRoutes } from './routes.ts';

export const handler = httpHandler(reportRoutes({ clock: systemClock }));
