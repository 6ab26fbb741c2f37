import { Logger } from '@aws-lambda-powertools/logger';

/** One Powertools logger per container. Never log keys, secrets or email addresses. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tollgate' });
