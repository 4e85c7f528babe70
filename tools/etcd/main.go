// Command etcd is the etcd server. Upstream's own main package sits at the
// module root go.etcd.io/etcd/server/v3, which `go build` would name "server".
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
