// Package rules holds what lyncaudit judges traffic against: the port
// catalog of Lync Server 2013 (an embedded data file, one entry per row of
// the four published tables), the user's inventory of hosts and their
// roles, and the verdicts that follow from the two.
//
// Verdicts are pure functions of a service (host, port, transport,
// protocol), the inventory and the catalog; the package never sees packets.
package rules
