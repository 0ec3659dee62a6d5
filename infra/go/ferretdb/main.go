// Command ferretdb serves the MongoDB wire protocol on top of FerretDB's embedded SQLite backend
// for the local test harness. Telemetry is off (the embeddable package disables it) and there is no
// authentication: it listens on loopback only.
//
// Usage: ferretdb -listen-addr 127.0.0.1:27017 -sqlite-url file:/path/to/dir/ [-log-level info]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "", "SQLite URI of the data directory, e.g. file:/var/lib/ferretdb/ (trailing slash required)")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("invalid -log-level %q: %v", *logLevel, err)
	}
	if *sqliteURL == "" {
		fail("-sqlite-url is required")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		fail("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger.Info("serving", "uri", f.MongoDBURI(), "backend", *sqliteURL)
	if err := f.Run(ctx); err != nil {
		fail("%v", err)
	}
	logger.Info("stopped")
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ferretdb: "+format+"\n", args...)
	os.Exit(2)
}
