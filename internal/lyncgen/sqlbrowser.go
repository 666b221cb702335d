package lyncgen

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// sqlBrowserInstanceQuery returns CLNT_UCAST_INST ([MC-SQLR] §2.2.3): ask
// one host's SQL Server Browser about one named instance.
func sqlBrowserInstanceQuery(instance string) []byte {
	b := append([]byte{0x04}, instance...)
	return append(b, 0)
}

// sqlBrowserResponse returns SVR_RESP ([MC-SQLR] §2.2.5) describing one
// instance with its TCP port and named pipe. RESP_SIZE is little-endian,
// as Windows writes it.
func sqlBrowserResponse(server, instance, version string, tcpPort uint16) []byte {
	data := strings.Join([]string{
		"ServerName", strings.ToUpper(server),
		"InstanceName", instance,
		"IsClustered", "No",
		"Version", version,
		"tcp", fmt.Sprint(tcpPort),
		"np", fmt.Sprintf(`\\%s\pipe\MSSQL$%s\sql\query`, strings.ToUpper(server), instance),
	}, ";") + ";;"
	b := []byte{0x05}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}
