// The etcd server binary, from the published go.etcd.io/etcd/server/v3 module (see go.mod).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
