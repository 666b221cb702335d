// Package decoders turns captured frames into what the rest of lyncaudit
// reasons about: the five-tuple of the innermost TCP or UDP packet, its
// payload and TCP flags, and the payload signatures that name a flow's
// protocol.
//
// Frame decoding walks gopacket's layers by hand on one reused [Decoder],
// so that tunnels (GRE, ERSPAN II/III, VXLAN) can be opened and the inner
// packet decoded with the same layer values, and so that a frame costs no
// allocation. A frame that cannot be decoded is not an error: [Decoder.Decode]
// returns the [Reason] it was skipped, and callers count reasons.
//
// The package knows nothing of roles, catalogs or flows.
package decoders
