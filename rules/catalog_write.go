package rules

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// keyWidth is the column where WriteTo starts values, so that they line up.
const keyWidth = 16

// WriteTo writes c in the catalog file format, entry after entry in the
// order of c.Entries. ParseCatalog reads the output back to the same entries,
// their positions aside. Values that a bare line could not carry (leading or
// trailing blanks, a " #", a leading quote) are written as quoted strings.
func (c *Catalog) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	b.WriteString("# lyncaudit port catalog; the format is described at the top of the built-in catalog.lync2013.\n")
	for _, e := range c.Entries {
		b.WriteByte('\n')
		writeEntry(&b, e)
	}
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

func writeEntry(b *bytes.Buffer, e *Entry) {
	b.WriteString("[" + e.Table + " " + strconv.Itoa(e.Row) + "]\n")
	kv := func(k catalogKey, v string) {
		b.WriteString(keyNames[k])
		if v != "" {
			b.WriteString(strings.Repeat(" ", max(1, keyWidth-len(keyNames[k]))))
			b.WriteString(quoteValue(v))
		}
		b.WriteByte('\n')
	}
	opt := func(k catalogKey, v string) {
		if v != "" {
			kv(k, v)
		}
	}
	opt(keySource, e.Source)
	opt(keyRoles, e.Roles.alternatives())
	if e.Roles.Unless != 0 {
		kv(keyUnless, e.Roles.Unless.join(" "))
	}
	opt(keyService, e.Service)
	kv(keyPort, e.PortText())
	opt(keyPublishedPort, e.PublishedPort)
	if e.From != 0 {
		kv(keyFrom, strconv.Itoa(int(e.From)))
	}
	opt(keyTransport, e.Transports.String())
	if e.Side != 0 {
		kv(keySide, e.Side.String())
	}
	opt(keyProtocol, e.Protocol)
	if len(e.Expect) > 0 {
		names := make([]string, len(e.Expect))
		for i, p := range e.Expect {
			names[i] = p.String()
		}
		kv(keyExpect, strings.Join(names, " "))
	}
	if e.MTLS != MTLSNo {
		kv(keyMTLS, e.MTLS.String())
	}
	if e.Media {
		kv(keyMedia, "yes")
	}
	opt(keyAbout, e.About)
}

// quoteValue returns v as a catalog file can carry it: bare when ParseCatalog
// would read the bare text back unchanged, quoted otherwise.
func quoteValue(v string) string {
	trimmed, _ := trimBlanks(v)
	if trimmed != v || strings.HasPrefix(v, `"`) || commentStart(v) < len(v) || hasControl(v) || !utf8.ValidString(v) {
		return strconv.Quote(v)
	}
	return v
}
