package analyzer

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestZZDumpFlows(t *testing.T) {
	for _, name := range sharedFiles(t) {
		rep := analyzeFile(t, name)
		var b strings.Builder
		for _, f := range rep.Flows {
			fmt.Fprintf(&b, "%s %s:%d -> %s:%d main=%s all=%v conf=%s pk=%d detail=%v\n", f.Transport, f.Client, f.ClientPort, f.Server, f.ServerPort, f.Protocol, f.Protocols, f.Confidence, f.Packets, f.Detail)
		}
		os.WriteFile("/tmp/peers/"+strings.ReplaceAll(strings.TrimPrefix(name, "../../shared/captures/"), "/", "_")+".flows", []byte(b.String()), 0o644)
	}
}
