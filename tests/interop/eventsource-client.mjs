// The npm `eventsource` package (a WHATWG EventSource for Node) against the
// interop test server: node eventsource-client.mjs <url> <event types as JSON>.
// Prints what it received as one line of JSON, after the server stopped it
// with 204 (or after 30 s, with "timedOut": true).
import { EventSource } from "eventsource";

const [url, typesJson] = process.argv.slice(2);
const types = JSON.parse(typesJson);
const received = [];
let opens = 0;
let errors = 0;
let finished = false;
const source = new EventSource(url);

function finish(timedOut) {
  if (finished) return;
  finished = true;
  source.close();
  process.stdout.write(JSON.stringify({ received, opens, errors, timedOut }) + "\n", () =>
    process.exit(0),
  );
}

for (const type of types) {
  source.addEventListener(type, (event) => {
    received.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
  });
}
source.onopen = () => {
  opens += 1;
};
source.onerror = () => {
  errors += 1;
  // CONNECTING: it reconnects by itself. CLOSED: the server said stop (204).
  if (source.readyState === EventSource.CLOSED) finish(false);
};
setTimeout(() => finish(true), 30000);

