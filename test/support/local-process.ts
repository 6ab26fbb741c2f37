import { type ChildProcess, spawn } from 'node:child_process';

/** `npm start` as a child process: its output so far, and its exit code once it ends. */
export interface LocalStackProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startLocalStackProcess(env: Record<string, string>): LocalStackProcess {
  const child = spawn(process.execPath, ['local/start.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}
