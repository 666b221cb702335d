// Package rules holds what lyncaudit judges traffic against: the port
// catalog of Lync Server 2013 (an embedded data file, one entry per row of
// the four published tables), the user's inventory of hosts and their
// roles, and the verdicts that follow from the two.
//
// Verdicts are pure functions of a service (host, port, transport,
// protocol), the inventory and the catalog; the package never sees packets.
//
// # Catalog
//
// [Builtin] returns the embedded catalog, catalog.lync2013. Its header
// documents the format, which users also write to add or override entries
// ([ParseCatalog], [Catalog.Merge]). An entry reads:
//
//	[server_ports 46]
//	source          Mediation Servers
//	roles           mediation
//	unless          frontend
//	service         Lync Server Mediation service
//	port            5070
//	transport       tcp
//	side            listen
//	protocol        TCP
//	about           Stand-alone Mediation Server: SIP from the Front End Server.
//
// Each entry keeps its source table and row ([Entry.Ref]) and the position
// of its header, so that every verdict can cite the row behind it.
//
// # Inventory
//
// An inventory names the roles of the hosts in a capture, one line per
// address, CIDR prefix or range, with an optional name:
//
//	# Front End pool with collocated Mediation, behind a load balancer
//	10.1.0.10               frontend-lb mediation-lb   name=fe-pool-vip
//	10.1.0.11-10.1.0.13     frontend mediation         name=fe
//	10.1.0.11               cms mediation              name=fe01
//	10.1.0.0/24             client
//	2001:db8:10::/64        client
//
// Role ids are those of [Role.String]. A host given cms (the Front End
// Server that holds the Central Management Store) also gets frontend. Lines
// may overlap; an address belongs to the most specific line that covers it
// ([Inventory.Lookup]), and lines do not add up: 10.1.0.11 above repeats
// mediation.
//
// # Errors
//
// [ParseCatalog] and [ParseInventory] report every mistake they find as an
// [ErrorList] of [Error] values, each printed as file:line:col: message and
// wrapping a sentinel such as [ErrUnknownRole] for [errors.Is].
package rules
