// The Express server of tests/tests/client_interop.rs, written the way
// Express apps write SSE: res.write('data: ...\n\n').
//
// GET /events: `retry: 100`, ping comments, two events per connection from
// the Last-Event-ID on, then a partial event and res.end(), until every
// event was sent; a request whose Last-Event-ID is the last event gets 204.
// Prints `PORT <port>` once listening and `CONNECT <Last-Event-ID or ->`
// for each request.
const express = require('express');

const EVENTS = [
  { id: '1', data: 'one' },
  { id: '2', type: 'greeting', data: 'line1\nline2' },
  { id: '3', type: 'update', data: '{"n":3}' },
  { id: '4', data: 'four\n\nsix' },
  { id: '5', data: '€ unicode ✓' },
  { id: '6', type: 'done', data: 'bye' },
];

const app = express();
app.get('/events', (req, res) => {
  const header = req.get('Last-Event-ID');
  console.log(`CONNECT ${header === undefined ? '-' : header}`);
  const last = parseInt(header || '0', 10) || 0;
  if (last >= EVENTS.length) {
    res.status(204).end();
    return;
  }
  res.set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  res.write('retry: 100\n\n');
  res.write(': ping\n\n');
  const batch = EVENTS.slice(last, last + 2);
  let i = 0;
  const timer = setInterval(() => {
    if (i < batch.length) {
      const event = batch[i++];
      let text = `id: ${event.id}\n`;
      if (event.type) text += `event: ${event.type}\n`;
      for (const line of event.data.split('\n')) text += `data: ${line}\n`;
      res.write(text + '\n');
      res.write(': ping\n\n');
      return;
    }
    clearInterval(timer);
    if (last + 2 < EVENTS.length) res.write('id: 99\ndata: partial');
    res.end();
  }, 20);
  req.on('close', () => clearInterval(timer));
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`PORT ${server.address().port}`);
});
