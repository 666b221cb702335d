package decoders

// Dir is the direction of a payload within its flow.
type Dir uint8

// Directions, as the flow table currently sees the flow's sides.
const (
	ToServer Dir = iota // sent by the flow's client
	ToClient            // sent by the flow's server
)

// Answer is what a signature makes of a flow from the payloads it has seen.
type Answer uint8

// Answers, as Zeek's analyzers confirm or violate.
const (
	NeedMore      Answer = iota // undecided: show me more payload
	Confirmed                   // the flow carries this protocol; nothing more to learn
	ConfirmedMore               // it does, and later payloads would add detail (a client certificate, RTP stream facts)
	Violated                    // the flow cannot be this protocol
)

var answerNames = [...]string{NeedMore: "need-more", Confirmed: "confirmed", ConfirmedMore: "confirmed-more", Violated: "violated"}

// String returns the answer's name.
func (a Answer) String() string {
	if int(a) < len(answerNames) {
		return answerNames[a]
	}
	return "answer-" + itoa(int(a))
}

// Named reports whether the answer names the flow.
func (a Answer) Named() bool { return a == Confirmed || a == ConfirmedMore }

// Signature recognises one protocol from a flow's payloads. A signature is
// a stateless value: what it must remember between payloads lives in the
// flow's State, in a field that signature alone reads and writes.
type Signature interface {
	// Protocol names what the signature recognises.
	Protocol() Protocol
	// Accepts reports whether the signature judges flows of transport t.
	Accepts(t Transport) bool
	// Inspect looks at one payload (never empty) travelling in direction
	// dir and says what the signature makes of the flow so far. It must not
	// keep payload, must not panic on any bytes, and allocates only to
	// record detail (strings copied from payload) once it confirms. Its
	// doc comment states its packet budget: how many payloads it needs at
	// most before it confirms or gives up with Violated.
	Inspect(s *State, dir Dir, payload []byte) Answer
}

// CertStatus says what a TLS handshake showed about client certificates.
type CertStatus uint8

// Client certificate outcomes. Only TLS 1.2 and earlier show them: TLS 1.3
// encrypts the CertificateRequest and the client's Certificate.
const (
	CertUnknown      CertStatus = iota // the handshake was not seen (resumed session, capture started late)
	CertNotRequested                   // the server's first flight asked for no certificate
	CertRequested                      // the server asked; the client's answer was not seen yet
	CertEmpty                          // the server asked; the client sent an empty Certificate
	CertSent                           // mutual TLS: the client sent a certificate (and CertificateVerify)
	CertHidden                         // TLS 1.3: the exchange is encrypted
)

var certNames = [...]string{CertUnknown: "unknown", CertNotRequested: "not-requested", CertRequested: "requested", CertEmpty: "empty", CertSent: "sent", CertHidden: "hidden-tls1.3"}

// String returns the status's stable name.
func (c CertStatus) String() string {
	if int(c) < len(certNames) {
		return certNames[c]
	}
	return "cert-" + itoa(int(c))
}

// MediaKind hints what an RTP stream carries, from its payload types.
type MediaKind uint8

// Media kinds.
const (
	MediaUnknown MediaKind = iota
	MediaAudio
	MediaVideo
	MediaData // application sharing (x-data)
)

var mediaNames = [...]string{MediaUnknown: "unknown", MediaAudio: "audio", MediaVideo: "video", MediaData: "data"}

// String returns "audio", "video", "data" or "unknown".
func (m MediaKind) String() string {
	if int(m) < len(mediaNames) {
		return mediaNames[m]
	}
	return "media-" + itoa(int(m))
}

// Attr is one fact about a flow for people: "sni" = "pool01.contoso.local".
type Attr struct {
	Key, Value string
}

// Detail is what the confirming signature learnt about a flow: the facts
// reports show (Attrs) and the few that verdicts use (ClientCert, Media).
type Detail struct {
	Attrs      []Attr     // in the order found; keys are short lowercase words
	ClientCert CertStatus // TLS and DTLS
	Media      MediaKind  // RTP
}

// Set records a fact, replacing an earlier value of the same key. Values
// from packets are copied, so the packet buffer may be reused.
func (d *Detail) Set(key string, value []byte) {
	d.SetString(key, string(value))
}

// SetString records a fact given as a string.
func (d *Detail) SetString(key, value string) {
	for i := range d.Attrs {
		if d.Attrs[i].Key == key {
			if d.Attrs[i].Value != value {
				d.Attrs[i].Value = value
			}
			return
		}
	}
	d.Attrs = append(d.Attrs, Attr{key, value})
}

// Get returns the value of key, or "".
func (d *Detail) Get(key string) string {
	for _, a := range d.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}
