import { httpHandler } from '../http/handler.ts';
import { systemClock } from '../shared/clock.ts';
import { meteringRoutes } from './routes.ts';

export const handler = httpHandler(meteringRoutes({ clock: systemClock }));
