// The JavaScript side of the browser benchmark (tests/bench.rs): npm
// eventsource-parser, loaded from the test server, fed the same 4 KiB
// Uint8Array chunks as the wasm build.

let parser = null;

// Loads eventsource-parser's dist files from `base` (the test server).
export async function loadEventsourceParser(base) {
    const index = await import(`${base}/eventsource-parser/index.js`);
    const stream = await import(`${base}/eventsource-parser/stream.js`);
    parser = {
        createParser: index.createParser,
        EventSourceParserStream: stream.EventSourceParserStream,
    };
}

// Chunks in a ReadableStream, as fetch's `response.body` delivers them.
export function chunkStream(chunks) {
    let i = 0;
    return new ReadableStream({
        pull(controller) {
            if (i < chunks.length) {
                controller.enqueue(chunks[i++]);
            } else {
                controller.close();
            }
        },
    });
}

// Bytes to text with a streaming TextDecoder, text to events with
// createParser: [events, UTF-16 code units of data].
export function feedEventsourceParser(chunks) {
    let events = 0;
    let data = 0;
    const p = parser.createParser({
        onEvent(event) {
            events++;
            data += event.data.length;
        },
    });
    const decoder = new TextDecoder();
    for (let i = 0; i < chunks.length; i++) {
        p.feed(decoder.decode(chunks[i], { stream: true }));
    }
    p.feed(decoder.decode());
    return [events, data];
}

// The same from a ReadableStream: a reader loop, as code over fetch's
// `response.body` is written by hand.
export async function readEventsourceParser(chunks) {
    let events = 0;
    let data = 0;
    const p = parser.createParser({
        onEvent(event) {
            events++;
            data += event.data.length;
        },
    });
    const decoder = new TextDecoder();
    const reader = chunkStream(chunks).getReader();
    for (;;) {
        const { done, value } = await reader.read();
        if (done) {
            break;
        }
        p.feed(decoder.decode(value, { stream: true }));
    }
    p.feed(decoder.decode());
    return [events, data];
}

// The pipeline of eventsource-parser's README for fetch:
// body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).
export async function pipeEventsourceParser(chunks) {
    let events = 0;
    let data = 0;
    const reader = chunkStream(chunks)
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new parser.EventSourceParserStream())
        .getReader();
    for (;;) {
        const { done, value } = await reader.read();
        if (done) {
            break;
        }
        events++;
        data += value.data.length;
    }
    return [events, data];
}
