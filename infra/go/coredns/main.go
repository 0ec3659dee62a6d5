// Command coredns is the cluster DNS of the harness node: CoreDNS built with only the plugins a
// cluster's DNS needs (no forward: pod lookups never leave the machine; template answers NXDOMAIN
// for every name outside the cluster's zones instead of SERVFAIL).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/template"
)

// The plugins' order in a server block, as in CoreDNS's own plugin.cfg.
func init() {
	dnsserver.Directives = []string{
		"reload", "ready", "health", "prometheus", "errors", "log", "loadbalance", "cache", "template",
		"kubernetes",
	}
}

func main() {
	coremain.Run()
}
