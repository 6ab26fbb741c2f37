import type { Server } from 'node:http';
import sesLocal from 'aws-ses-v2-local';
import { assertPortFree } from './ports.ts';

export interface SesLocal {
  url: string;
  stop(): Promise<void>;
}

type StartServer = (config: { host: string; port: number }) => Promise<Server>;
// A CommonJS module: Node hands over `module.exports`, bundlers its `default`.
const startServer: StartServer = typeof sesLocal === 'function' ? sesLocal : (sesLocal as unknown as { default: StartServer }).default;

/** Starts aws-ses-v2-local in this process: the SES v2 endpoint, its `/store` and the inbox page. */
export async function startSesLocal(port: number): Promise<SesLocal> {
  await assertPortFree(port, 'the local SES endpoint', 'SES_LOCAL_PORT');
  const server = await startServer({ host: '127.0.0.1', port });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
