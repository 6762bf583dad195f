// A Go web in the GOPATH style: no go.mod, so a module build has nothing to build.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Hello from go-gopath")
	})
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
