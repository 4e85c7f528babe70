// Command ferretdb runs FerretDB's embeddable package on SQLite for the dev and test commands.
//
// Building FerretDB's own cmd/ferretdb through a tools module panics at start
// (its version check expects to be the main module), and the embedded form also
// keeps telemetry off without a flag. Only errors are logged: its per-connection
// warnings would drown the services' own logs in the dev terminal. It prints
// "ready <uri>" once it accepts connections and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on")
	data := flag.String("data", "", "directory for the SQLite files (required)")
	disablePushdown := flag.Bool("disable-pushdown", false, "filter every document in the handler, with no WHERE clause (to compare results with)")
	flag.Parse()
	if *data == "" {
		log.Fatal("-data is required")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:        ferretdb.ListenerConfig{TCP: *listen},
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Handler:         "sqlite",
		SQLiteURL:       "file:" + *data + "/",
		DisablePushdown: *disablePushdown,
	})
	if err != nil {
		log.Fatal(err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = db.Run(ctx)
	}()
	fmt.Println("ready", db.MongoDBURI())
	<-done
}
