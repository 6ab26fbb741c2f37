import { sesSender } from '../alerts/ses-sender.ts';
import { httpHandler } from '../http/handler.ts';
import { systemClock } from '../shared/clock.ts';
import { reportRoutes } from './routes.ts';

export const handler = httpHandler(reportRoutes({ clock: systemClock, sender: sesSender() }));
