// Plain JavaScript on purpose (no type syntax, no dependencies): it must run, and explain, on any Node.
// `node bin/check-node.mjs` checks the Node version against package.json's `devEngines`;
// `node bin/check-node.mjs <script>` then runs the script (the CDK app, the local stack, the benchmark).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const { devEngines } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const floor = devEngines.runtime.version.replace(/^>=\s*/, '');

const parts = (version) => version.replace(/^v/, '').split('.').map(Number);
const older = (have, need) => {
  for (let i = 0; i < 3; i += 1) {
    if (have[i] !== need[i]) return have[i] < need[i];
  }
  return false;
};

if (older(parts(process.versions.node), parts(floor))) {
  console.error(`Tollgate needs Node ≥ ${floor} (you have ${process.versions.node}); install Node 24 LTS (e.g. \`nvm install 24\`) and run this again.`);
  process.exit(1);
}
const script = process.argv[2];
if (script) await import(pathToFileURL(path.resolve(script)).href);
