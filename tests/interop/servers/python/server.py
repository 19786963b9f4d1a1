"""The sse-starlette (Starlette + uvicorn) server of tests/tests/client_interop.rs.

GET /events streams the scenario (see express/server.js for the same in
Node): `retry: 100`, ping comments, two events per connection from the
Last-Event-ID on, then a partial event and the end of the response, until
every event was sent; a request whose Last-Event-ID is the last event gets
204. Prints `PORT <port>` once listening and `CONNECT <Last-Event-ID or ->`
for each request.
"""

import asyncio
import socket

import uvicorn
from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

EVENTS = [
    ("1", None, "one"),
    ("2", "greeting", "line1\nline2"),
    ("3", "update", '{"n":3}'),
    ("4", None, "four\n\nsix"),
    ("5", None, "€ unicode ✓"),
    ("6", "done", "bye"),
]


async def events(request):
    header = request.headers.get("last-event-id")
    print(f"CONNECT {header if header is not None else '-'}", flush=True)
    last = int(header) if header and header.isdigit() else 0
    if last >= len(EVENTS):
        return Response(status_code=204)

    async def stream():
        yield ServerSentEvent(retry=100)
        yield ServerSentEvent(comment="ping")
        for event_id, event_type, data in EVENTS[last : last + 2]:
            await asyncio.sleep(0.02)
            yield ServerSentEvent(data, id=event_id, event=event_type)
            yield ServerSentEvent(comment="ping")
        if last + 2 < len(EVENTS):
            # Raw bytes pass through as they are: an event cut by the close.
            yield b"id: 99\r\ndata: partial"

    return EventSourceResponse(stream(), ping=1)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listening before saying so: connections wait in the backlog until
    # uvicorn accepts them.
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    app = Starlette(routes=[Route("/events", events)])
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
