// The Go net/http server of tests/tests/client_interop.rs: an http.Flusher
// after every write, the way Go services stream SSE.
//
// GET /events: `retry: 100`, ping comments, two events per connection from
// the Last-Event-ID on, then a partial event and the end of the handler,
// until every event was sent; a request whose Last-Event-ID is the last
// event gets 204. Prints `PORT <port>` once listening and
// `CONNECT <Last-Event-ID or ->` for each request.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type event struct{ id, kind, data string }

var events = []event{
	{"1", "", "one"},
	{"2", "greeting", "line1\nline2"},
	{"3", "update", `{"n":3}`},
	{"4", "", "four\n\nsix"},
	{"5", "", "€ unicode ✓"},
	{"6", "done", "bye"},
}

func handle(w http.ResponseWriter, r *http.Request) {
	label := "-"
	if values, ok := r.Header["Last-Event-Id"]; ok {
		label = values[0]
	}
	fmt.Printf("CONNECT %s\n", label)
	last, _ := strconv.Atoi(r.Header.Get("Last-Event-ID"))
	if last >= len(events) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprint(w, "retry: 100\n\n: ping\n\n")
	flusher.Flush()
	end := last + 2
	if end > len(events) {
		end = len(events)
	}
	for _, e := range events[last:end] {
		time.Sleep(20 * time.Millisecond)
		fmt.Fprintf(w, "id: %s\n", e.id)
		if e.kind != "" {
			fmt.Fprintf(w, "event: %s\n", e.kind)
		}
		for _, line := range strings.Split(e.data, "\n") {
			fmt.Fprintf(w, "data: %s\n", line)
		}
		fmt.Fprint(w, "\n: ping\n\n")
		flusher.Flush()
	}
	if end < len(events) {
		fmt.Fprint(w, "id: 99\ndata: partial")
		flusher.Flush()
	}
}

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("PORT %d\n", listener.Addr().(*net.TCPAddr).Port)
	http.HandleFunc("/events", handle)
	if err := http.Serve(listener, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
