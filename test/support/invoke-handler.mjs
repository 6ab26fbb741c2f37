// Runs a Lambda handler the way a fresh container would: in its own process, with only the
// environment it is given. Usage: node invoke-handler.mjs <handler file> <results file> < events.json
// Each event is invoked in turn; an invocation that throws is recorded as { error } (Lambda's "Unhandled").
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [handlerFile, resultsFile] = process.argv.slice(2);
const events = JSON.parse(readFileSync(0, 'utf8'));
const { handler } = await import(pathToFileURL(handlerFile).href);
const results = [];
for (const [i, event] of events.entries()) {
  const context = { awsRequestId: `invocation-${i}`, functionName: 'metered', getRemainingTimeInMillis: () => 10_000 };
  try {
    results.push({ response: await handler(event, context) });
  } catch (error) {
    results.push({ error: String(error?.stack ?? error) });
  }
}
writeFileSync(resultsFile, JSON.stringify(results));
