import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { freePort } from '../../local/ports.ts';
import { startSesLocal } from '../../local/ses-local.ts';

/** One DynamoDB Local and one SES endpoint for the whole run; each test file makes its own table. */
export default async function setup(project: TestProject) {
  const dynamoDb = await startDynamoDbLocal({ port: await freePort() });
  const ses = await startSesLocal(await freePort());
  project.provide('dynamoDbEndpoint', dynamoDb.endpoint);
  project.provide('sesUrl', ses.url);
  return async () => {
    await ses.stop();
    await dynamoDb.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
    sesUrl: string;
  }
}
