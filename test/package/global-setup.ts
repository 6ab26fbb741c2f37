import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { prepareConsumerProjects } from './consumer-projects.ts';

/**
 * Starts making the consumer projects at the start of the run, without waiting: their minute of
 * build, installs and bundling overlaps the other files, which mostly wait on DynamoDB Local.
 */
export default async function setup(project: TestProject) {
  const work = await mkdtemp(path.join(tmpdir(), 'tollgate-consumers-'));
  const prepared = prepareConsumerProjects(work);
  project.provide('consumersDir', work);
  return async () => {
    await prepared;
    await rm(work, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    consumersDir: string;
  }
}
