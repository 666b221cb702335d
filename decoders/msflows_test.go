package decoders

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// This file walks every flow of the shared captures through the DCE/RPC,
// net.tcp, SQL Browser and TDS signatures, as the analyzer feeds them.

// msSignatures are the signatures checked here.
var msSignatures = []Signature{dcerpcSig{}, nettcpSig{}, sqlBrowserSig{}, tdsSig{}}

// msFlow is one TCP or UDP flow of a capture and its payloads.
type msFlow struct {
	transport      Transport
	client, server netip.AddrPort
	payloads       []msPayload
	frames         []int // every frame of the flow
}

type msPayload struct {
	frame int
	dir   Dir
	data  []byte
}

func (f *msFlow) String() string {
	return fmt.Sprintf("%v %v → %v", f.transport, f.client, f.server)
}

// msFlows returns the flows of the capture at path in order of first
// packet. The client is the sender of a SYN, else of the first packet;
// empty payloads, later IP fragments and TCP segments that end at or
// before data already seen (retransmissions) are left out, as the
// analyzer leaves them.
func msFlows(tb testing.TB, path string) []*msFlow {
	tb.Helper()
	type key struct {
		t    Transport
		a, b netip.AddrPort
	}
	var (
		d     = NewDecoder()
		p     Packet
		flows []*msFlow
		index = map[key]*msFlow{}
		ends  = map[*msFlow]*[2]uint32{}
	)
	for _, fr := range readCapture(tb, path) {
		if d.Decode(fr.lt, fr.data, &p) != OK || !p.Fragment.First() {
			continue
		}
		src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
		k := key{p.Transport, src, dst}
		if src.Compare(dst) > 0 {
			k = key{p.Transport, dst, src}
		}
		f := index[k]
		if f == nil {
			f = &msFlow{transport: p.Transport, client: src, server: dst}
			if p.Transport == TCP && p.Flags.Has(FlagSYN|FlagACK) {
				f.client, f.server = dst, src
			}
			index[k] = f
			ends[f] = &[2]uint32{}
			flows = append(flows, f)
		}
		f.frames = append(f.frames, fr.number)
		dir := ToServer
		if src != f.client {
			dir = ToClient
		}
		if len(p.Payload) == 0 {
			continue
		}
		if p.Transport == TCP {
			end, seen := p.Seq+uint32(len(p.Payload)), ends[f]
			if seen[dir] != 0 && int32(end-seen[dir]) <= 0 {
				continue
			}
			seen[dir] = end
		}
		f.payloads = append(f.payloads, msPayload{fr.number, dir, p.Payload})
	}
	return flows
}

// msInspect feeds a flow to sig as the analyzer does: at most 16
// payloads, stopping at Confirmed or Violated. It reports whether sig
// named the flow.
func msInspect(sig Signature, f *msFlow) (bool, *State) {
	s := new(State)
	s.Reset(f.transport, f.client.Port(), f.server.Port())
	if !sig.Accepts(f.transport) {
		return false, s
	}
	named := false
	for i, pl := range f.payloads {
		if i == 16 {
			break
		}
		a := sig.Inspect(s, pl.dir, pl.data)
		s.Payloads[pl.dir]++
		named = named || a.Named()
		if a == Confirmed || a == Violated {
			break
		}
	}
	return named, s
}

// msWantDCERPC lists the flows of the shared captures that carry DCE/RPC
// straight over TCP, as tshark dissects them: capture → server port →
// the interface the bind names.
var msWantDCERPC = map[string]map[uint16]string{
	filepath.Join("zeek", "dce-rpc", "kerberos135_auth.pcapng"): {135: "isystemactivator"},
	filepath.Join("suricata-verify", "zerologon", "input.pcap"): {135: "epmapper", 49668: "netlogon"},
}

// TestMSSignaturesOnCaptures checks that the DCE/RPC signature names the
// DCE/RPC flows of the shared captures (and not SMB's, which carry it in
// named pipes), with their interface, and that no signature here names
// anything else: no public capture holds net.tcp, SQL Browser or TDS.
func TestMSSignaturesOnCaptures(t *testing.T) {
	dir := capturesDir(t)
	for _, path := range captureFiles(t, dir) {
		rel, _ := filepath.Rel(dir, path)
		t.Run(rel, func(t *testing.T) {
			named := 0
			for _, f := range msFlows(t, path) {
				for _, sig := range msSignatures {
					ok, s := msInspect(sig, f)
					want := ""
					if sig.Protocol() == DCERPC && f.transport == TCP {
						want = msWantDCERPC[rel][f.server.Port()]
					}
					switch {
					case ok && want == "":
						t.Errorf("%v named %v (first payload frame %d): %v", sig.Protocol(), f, f.payloads[0].frame, s.Detail.Attrs)
					case !ok && want != "" && len(f.payloads) > 0:
						t.Errorf("%v missed %v (first payload frame %d)", sig.Protocol(), f, f.payloads[0].frame)
					case ok:
						named++
						if got := s.Detail.Get("interface"); got != want {
							t.Errorf("%v: interface %q, want %q", f, got, want)
						}
					}
				}
			}
			if named > 0 {
				t.Logf("%d flows named", named)
			}
			if want := len(msWantDCERPC[rel]); want > 0 && named < want {
				t.Errorf("%d flows named, want at least %d", named, want)
			}
		})
	}
}

// TestMSSignaturesAgreeWithTshark holds the DCE/RPC and TDS signatures
// against tshark, flow by flow, on the shared captures and the generated
// sample: a flow is named exactly when tshark dissects the protocol right
// over TCP (not inside SMB) in one of its frames. tshark has no heuristic
// for net.tcp, and no dissector for SQL Browser.
func TestMSSignaturesAgreeWithTshark(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tshark on every shared capture: skipped with -short")
	}
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: skipping the comparison with Wireshark")
	}
	paths := map[string]string{"sample.pcapng": filepath.Join("..", "testdata", "sample.pcapng")}
	if dir, ok := findCaptures(); ok {
		for _, path := range captureFiles(t, dir) {
			rel, _ := filepath.Rel(dir, path)
			paths[rel] = path
		}
	} else {
		t.Logf("shared captures not found in %v: checking the sample only", capturesDirs)
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			protos := msTsharkProtocols(t, tshark, path)
			for _, f := range msFlows(t, path) {
				if len(f.payloads) == 0 || f.transport != TCP {
					continue
				}
				for _, sig := range []Signature{dcerpcSig{}, tdsSig{}} {
					layer := "tcp:" + sig.Protocol().String()
					inFlow := false
					for _, n := range f.frames {
						inFlow = inFlow || strings.Contains(protos[n]+":", layer+":")
					}
					if ok, s := msInspect(sig, f); ok != inFlow {
						t.Errorf("%v on %v (first payload frame %d): named %v, tshark finds %s: %v; detail %v",
							sig.Protocol(), f, f.payloads[0].frame, ok, layer, inFlow, s.Detail.Attrs)
					}
				}
			}
		})
	}
}

// msTsharkProtocols returns tshark's frame.protocols for each frame of
// the capture at path.
func msTsharkProtocols(t *testing.T, tshark, path string) map[int]string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.protocols")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", path, err, stderr.Bytes())
	}
	protos := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		num, list, _ := strings.Cut(sc.Text(), "\t")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("tshark %s: line %q: %v", path, sc.Text(), err)
		}
		protos[n] = list
	}
	return protos
}
