package decoders

import "testing"

// SIP payloads from the shared captures and the sample capture.
var (
	// ndpi/sip.pcap frame 1: 192.168.1.2 → 212.242.33.35 SIP 509 Request:
	// REGISTER sip:sip.cybercity.dk (1 binding)
	sipUDPRegister = unhex("5245474953544552207369703a7369702e6379626572636974792e646b205349" +
		"502f322e300d0a5669613a205349502f322e302f554450203139322e3136382e" +
		"312e323b6272616e63683d7a39684734624b6e703135313234383733372d3436" +
		"6561373135653139322e3136382e312e323b72706f72740d0a46726f6d3a203c" +
		"7369703a766f693138303633407369702e6379626572636974792e646b3e3b74" +
		"61673d393033646630610d0a546f3a203c7369703a766f693138303633407369" +
		"702e6379626572636974792e646b3e0d0a43616c6c2d49443a20353738323232" +
		"3732392d3436363564373735403537383232323733322d34363635643737320d" +
		"0a436f6e746163743a20203c7369703a766f693138303633403139322e313638" +
		"2e312e323a353036303b6c696e653d396337643264626438383232303133633e" +
		"3b657870697265733d313230303b713d302e3530300d0a457870697265733a20" +
		"313230300d0a435365713a2036382052454749535445520d0a436f6e74656e74" +
		"2d4c656e6774683a20300d0a4d61782d466f7277617264733a2037300d0a5573" +
		"65722d4167656e743a204e65726f2053495050532049502050686f6e65205665" +
		"7273696f6e20322e302e35312e31360d0a0d0a")
	// ndpi/sip.pcap frame 2: 212.242.33.35 → 192.168.1.2 SIP 528 Status: 401
	// Unauthorized
	sipUDP401 = unhex("5349502f322e302034303120556e617574686f72697a65640d0a43616c6c2d49" +
		"443a203537383232323732392d3436363564373735403537383232323733322d" +
		"34363635643737320d0a435365713a2036382052454749535445520d0a46726f" +
		"6d3a203c7369703a766f693138303633407369702e6379626572636974792e64" +
		"6b3e3b7461673d393033646630610d0a546f3a203c7369703a766f6931383036" +
		"33407369702e6379626572636974792e646b3e3b7461673d30302d3034303932" +
		"2d31373031616636322d3132306336373137320d0a5669613a205349502f322e" +
		"302f554450203139322e3136382e312e323b72656365697665643d38302e3233" +
		"302e3231392e37303b72706f72743d353036303b6272616e63683d7a39684734" +
		"624b6e703135313234383733372d34366561373135653139322e3136382e312e" +
		"320d0a5757572d41757468656e7469636174653a20446967657374207265616c" +
		"6d3d227369702e6379626572636974792e646b222c6e6f6e63653d2231373031" +
		"616635363662653138323037303038346336663734303730366262222c6f7061" +
		"7175653d22313730316131333531663730373935222c7374616c653d66616c73" +
		"652c616c676f726974686d3d4d44350d0a436f6e74656e742d4c656e6774683a" +
		"20300d0a0d0a")
	// suricata-verify/sip-tcp-method/sip-tcp.pcap frame 4: 127.0.0.1 →
	// 127.0.0.1 TCP 466 58882 → 5060 [PSH, ACK] Seq=1 Ack=1 Win=65536
	// Len=400 TSval=3728154961 TSecr=3728154961 [TCP segment of a
	// reassembled PDU]
	sipTCPRegister1 = unhex("5245474953544552207369703a3139322e3136382e34332e3130303b7472616e" +
		"73706f72743d544350205349502f322e300d0a5669613a205349502f322e302f" +
		"544350203139322e3136382e34332e313a34383337363b6272616e63683d7a39" +
		"684734624b2d3532343238372d312d2d2d646366346564646661663966313233" +
		"393b72706f72740d0a4d61782d466f7277617264733a2037300d0a436f6e7461" +
		"63743a203c7369703a393837363534403139322e3136382e34332e313a343833" +
		"37363b72696e7374616e63653d626532656339386430663433653730633b7472" +
		"616e73706f72743d7463703e0d0a546f3a203c7369703a393837363534403139" +
		"322e3136382e34332e3130303b7472616e73706f72743d5443503e0d0a46726f" +
		"6d3a203c7369703a393837363534403139322e3136382e34332e3130303b7472" +
		"616e73706f72743d5443503e3b7461673d39623939313637660d0a43616c6c2d" +
		"49443a20384f6d745955553845646c616655683467346a6941772e2e0d0a4353" +
		"65713a20312052454749535445520d0a")
	// suricata-verify/sip-tcp-method/sip-tcp.pcap frame 6: 127.0.0.1 →
	// 127.0.0.1 SIP 251 Request: REGISTER sip:192.168.43.100;transport=TCP
	// (1 binding)
	sipTCPRegister2 = unhex("457870697265733a203630300d0a416c6c6f773a20494e564954452c2041434b" +
		"2c2043414e43454c2c204259452c204e4f544946592c2052454645522c204d45" +
		"53534147452c204f5054494f4e532c20494e464f2c205355425343524942450d" +
		"0a557365722d4167656e743a205a6f69706572207276322e31302e332e320d0a" +
		"416c6c6f772d4576656e74733a2070726573656e63652c206b706d6c2c207461" +
		"6c6b0d0a436f6e74656e742d4c656e6774683a20300d0a0d0a")
	// suricata-verify/sip-tcp-method/sip-tcp.pcap frame 8: 127.0.0.1 →
	// 127.0.0.1 SIP 557 Status: 200 OK (REGISTER) (1 binding)
	sipTCP200 = unhex("5349502f322e3020323030204f4b0d0a5669613a205349502f322e302f544350" +
		"203139322e3136382e34332e313a34383337363b6272616e63683d7a39684734" +
		"624b2d3532343238372d312d2d2d646366346564646661663966313233393b72" +
		"706f72743d34333136383b72656365697665643d3139322e3136382e34332e31" +
		"0d0a546f3a203c7369703a393837363534403139322e3136382e34332e313030" +
		"3b7472616e73706f72743d5443503e3b7461673d396464363166663631653830" +
		"32643865326265663566313436323165663363322e356331620d0a46726f6d3a" +
		"203c7369703a393837363534403139322e3136382e34332e3130303b7472616e" +
		"73706f72743d5443503e3b7461673d39623939313637660d0a43616c6c2d4944" +
		"3a20384f6d745955553845646c616655683467346a6941772e2e0d0a43536571" +
		"3a20312052454749535445520d0a436f6e746163743a203c7369703a39383736" +
		"3534403139322e3136382e34332e313a34383337363b72696e7374616e63653d" +
		"626532656339386430663433653730633b7472616e73706f72743d7463703e3b" +
		"657870697265733d3630300d0a5365727665723a206b616d61696c696f202835" +
		"2e322e3120287838365f36342f6c696e757829290d0a436f6e74656e742d4c65" +
		"6e6774683a20300d0a0d0a")
	// ../testdata/sample.pcapng frame 315: 10.10.6.20 →
	// 10.10.1.11 SIP 931 Unknown request: SERVICE
	// sip:presencemonitor@contoso.com
	sipSampleService = unhex("53455256494345207369703a70726573656e63656d6f6e69746f7240636f6e74" +
		"6f736f2e636f6d205349502f322e300d0a5669613a205349502f322e302f5443" +
		"502031302e31302e362e32303a35333034313b6272616e63683d7a3968473462" +
		"4b323134313162323734353833643835320d0a4d61782d466f7277617264733a" +
		"2037300d0a46726f6d3a203c7369703a70726573656e63656d6f6e69746f7240" +
		"636f6e746f736f2e636f6d3e3b7461673d333866363432316135630d0a546f3a" +
		"203c7369703a616c69636540636f6e746f736f2e636f6d3e3b7461673d633631" +
		"333266333933660d0a43616c6c2d49443a203165366239633337383534393739" +
		"3533636534646433643263333564376633620d0a435365713a20322053455256" +
		"4943450d0a557365722d4167656e743a20525443432f352e302e302e3020436f" +
		"6e746f736f50726573656e63654d6f6e69746f722f312e320d0a436f6e74656e" +
		"742d547970653a206170706c69636174696f6e2f6d737274632d63617465676f" +
		"72792d7075626c6973682b786d6c0d0a436f6e74656e742d4c656e6774683a20" +
		"3435340d0a0d0a3c7075626c69736820786d6c6e733d22687474703a2f2f7363" +
		"68656d61732e6d6963726f736f66742e636f6d2f323030362f30392f7369702f" +
		"726963682d70726573656e6365223e3c7075626c69636174696f6e7320757269" +
		"3d227369703a70726573656e63656d6f6e69746f7240636f6e746f736f2e636f" +
		"6d223e3c7075626c69636174696f6e2063617465676f72794e616d653d227374" +
		"6174652220696e7374616e63653d22302220636f6e7461696e65723d22322220" +
		"76657273696f6e3d22312220657870697265547970653d22656e64706f696e74" +
		"223e3c737461746520786d6c6e733d22687474703a2f2f736368656d61732e6d" +
		"6963726f736f66742e636f6d2f323030362f30392f7369702f73746174652220" +
		"786d6c6e733a7873693d22687474703a2f2f7777772e77332e6f72672f323030" +
		"312f584d4c536368656d612d696e7374616e636522206d616e75616c3d226661" +
		"6c736522207873693a747970653d226d616368696e655374617465223e3c6176" +
		"61696c6162696c6974793e333530303c2f617661696c6162696c6974793e3c2f" +
		"73746174653e3c2f7075626c69636174696f6e3e3c2f7075626c69636174696f" +
		"6e733e3c2f7075626c6973683e")
	// ../testdata/sample.pcapng frame 316: 10.10.1.11 →
	// 10.10.6.20 SIP 391 Status: 200 OK (SERVICE)
	sipSample200 = unhex("5349502f322e3020323030204f4b0d0a5669613a205349502f322e302f544350" +
		"2031302e31302e362e32303a35333034313b6272616e63683d7a39684734624b" +
		"323134313162323734353833643835323b72656365697665643d31302e31302e" +
		"362e32300d0a46726f6d3a203c7369703a70726573656e63656d6f6e69746f72" +
		"40636f6e746f736f2e636f6d3e3b7461673d333866363432316135630d0a546f" +
		"3a203c7369703a616c69636540636f6e746f736f2e636f6d3e3b7461673d6336" +
		"31333266333933660d0a43616c6c2d49443a2031653662396333373835343937" +
		"393533636534646433643263333564376633620d0a435365713a203220534552" +
		"564943450d0a446174653a204d6f6e2c203032204d617220323032362031303a" +
		"34303a3039205554430d0a5365727665723a205254432f352e300d0a436f6e74" +
		"656e742d4c656e6774683a20300d0a0d0a")
	// ../testdata/sample.pcapng frame 439: 10.10.1.11 →
	// 10.10.6.20 SIP 885 Unknown request: BENOTIFY
	// sip:10.10.6.20:53041;transport=tcp
	sipSampleBenotify = unhex("42454e4f54494659207369703a31302e31302e362e32303a35333034313b7472" +
		"616e73706f72743d746370205349502f322e300d0a5669613a205349502f322e" +
		"302f5443502031302e31302e312e31313a353036303b6272616e63683d7a3968" +
		"4734624b343433353936353335336563373561620d0a4d61782d466f72776172" +
		"64733a2037300d0a46726f6d3a203c7369703a616c69636540636f6e746f736f" +
		"2e636f6d3e3b7461673d633631333266333933660d0a546f3a203c7369703a70" +
		"726573656e63656d6f6e69746f7240636f6e746f736f2e636f6d3e3b7461673d" +
		"333866363432316135630d0a43616c6c2d49443a203165366239633337383534" +
		"3937393533636534646433643263333564376633620d0a435365713a20332042" +
		"454e4f544946590d0a557365722d4167656e743a205254432f352e300d0a4576" +
		"656e743a2070726573656e63650d0a537562736372697074696f6e2d53746174" +
		"653a206163746976653b657870697265733d333630300d0a436f6e74656e742d" +
		"547970653a206170706c69636174696f6e2f6d737274632d6576656e742d6361" +
		"7465676f726965732b786d6c0d0a436f6e74656e742d4c656e6774683a203337" +
		"380d0a0d0a3c63617465676f7269657320786d6c6e733d22687474703a2f2f73" +
		"6368656d61732e6d6963726f736f66742e636f6d2f323030362f30392f736970" +
		"2f63617465676f7269657322207572693d227369703a616c69636540636f6e74" +
		"6f736f2e636f6d223e3c63617465676f7279206e616d653d2273746174652220" +
		"696e7374616e63653d223122207075626c69736854696d653d22323032362d30" +
		"332d30325431303a34313a30325a223e3c7374617465207873693a747970653d" +
		"2261676772656761746553746174652220786d6c6e733a7873693d2268747470" +
		"3a2f2f7777772e77332e6f72672f323030312f584d4c536368656d612d696e73" +
		"74616e63652220786d6c6e733d22687474703a2f2f736368656d61732e6d6963" +
		"726f736f66742e636f6d2f323030362f30392f7369702f7374617465223e3c61" +
		"7661696c6162696c6974793e363530303c2f617661696c6162696c6974793e3c" +
		"2f73746174653e3c2f63617465676f72793e3c2f63617465676f726965733e")
	// ../testdata/sample.pcapng frame 265: 10.30.0.5 →
	// 10.10.3.10 IPv4 1514 Fragmented IP protocol (proto=UDP 17, off=0,
	// ID=4619)
	sipSampleInviteFragment = unhex("494e56495445207369703a2b31343235353535303134344031302e31302e332e" +
		"31303b757365723d70686f6e65205349502f322e300d0a5669613a205349502f" +
		"322e302f5544502031302e33302e302e353a353036303b6272616e63683d7a39" +
		"684734624b353431663230623563316463373630370d0a4d61782d466f727761" +
		"7264733a2037300d0a46726f6d3a202246616272696b616d20537570706f7274" +
		"22203c7369703a2b31323036353535303137374031302e33302e302e353b7573" +
		"65723d70686f6e653e3b7461673d306264643661306238390d0a546f3a203c73" +
		"69703a2b313432353535353031343440636f6e746f736f2e636f6d3b75736572" +
		"3d70686f6e653e0d0a43616c6c2d49443a203137396361623337373632383637" +
		"3931373936333835343966616565323439360d0a435365713a203120494e5649" +
		"54450d0a557365722d4167656e743a20417564696f436f6465732d5369702d47" +
		"6174657761792d4d656469616e7420313030302f762e362e3630412e3232372e" +
		"3030350d0a436f6e746163743a203c7369703a2b313230363535353031373740" +
		"31302e33302e302e353a353036303e0d0a537570706f727465643a20656d2c31" +
		"303072656c2c74696d65722c7265706c616365732c706174682c7265736f7572" +
		"63652d7072696f726974792c7364702d616e61740d0a416c6c6f773a20524547" +
		"49535445522c4f5054494f4e532c494e564954452c41434b2c43414e43454c2c" +
		"4259452c4e4f544946592c505241434b2c52454645522c494e464f2c53554253" +
		"43524942452c5550444154450d0a502d41737365727465642d4964656e746974" +
		"793a202246616272696b616d20537570706f727422203c7369703a2b31323036" +
		"353535303137374031302e33302e302e353e0d0a52656d6f74652d5061727479" +
		"2d49443a202246616272696b616d20537570706f727422203c7369703a2b3132" +
		"3036353535303137374031302e33302e302e353e3b70617274793d63616c6c69" +
		"6e673b73637265656e3d7965733b707269766163793d6f66660d0a4469766572" +
		"73696f6e3a203c7369703a2b31343235353535303130304031302e33302e302e" +
		"353e3b726561736f6e3d6e6f2d616e737765723b636f756e7465723d310d0a53" +
		"657373696f6e2d457870697265733a20313830300d0a4d696e2d53453a203930" +
		"0d0a436f6e74656e742d547970653a206170706c69636174696f6e2f7364700d" +
		"0a436f6e74656e742d4c656e6774683a203931390d0a0d0a763d300d0a6f3d41" +
		"7564696f636f6465734757203930353631383833392039303536313837343020" +
		"494e204950342031302e33302e302e350d0a733d50686f6e652d43616c6c0d0a" +
		"633d494e204950342031302e33302e302e350d0a743d3020300d0a6d3d617564" +
		"696f2037383130205254502f5341565020302038203138203920342033203130" +
		"312031330d0a613d7274706d61703a302050434d552f383030300d0a613d7274" +
		"706d61703a382050434d412f383030300d0a613d7274706d61703a3138204737" +
		"32392f383030300d0a613d666d74703a313820616e6e6578623d6e6f0d0a613d" +
		"7274706d61703a3920473732322f383030300d0a613d7274706d61703a342047" +
		"3732332f383030300d0a613d666d74703a3420616e6e6578613d6e6f0d0a613d" +
		"7274706d61703a332047534d2f383030300d0a613d7274706d61703a31303120" +
		"74656c6570686f6e652d6576656e742f383030300d0a613d666d74703a313031" +
		"20302d31350d0a613d7274706d61703a313320434e2f383030300d0a613d7074" +
		"696d653a32300d0a613d6d61787074696d653a34300d0a613d73656e64726563" +
		"760d0a613d727463703a373831310d0a613d63727970746f3a31204145535f43" +
		"4d5f3132385f484d41435f534841315f383020696e6c696e653a6641492b5846" +
		"37394864755130563937752b6f662b5967504f326c576c6950794d6f4d4a6751" +
		"4a447c325e33317c313a310d0a613d63727970746f3a32204145535f434d5f31")
	// ndpi/fuzz-2006-06-26-2594.pcap frame 107 (first 96 of 467 bytes):
	// 192.168.1.2 → 212.242.33.35 SIP 509 Unknown request: REGIStER
	// pip:sip.cyberc?ty.dk
	sipFuzzedMethod = unhex("5245474953744552207069703a7369702e637962657263b774792e646b205349" +
		"502f322e300d0a5669613a205349502f322e302f554450203139322e3136380e" +
		"312e323b6272616e63683d7a39684734624b6e257300303532303139392d3438")
)

// sipCases are flows fed to the SIP signature, from real payloads and, for
// what no capture shows, from RFC 3261 and RFC 5626.
var sipCases = []flowCase{
	{
		name: "udp register answered 401", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, sipUDPRegister, ConfirmedMore}, {ToClient, sipUDP401, Confirmed}},
		attrs: []Attr{{"method", "REGISTER"}, {"via", "UDP"}, {"user-agent", "Nero SIPPS IP Phone Version 2.0.51.16"}, {"status", "401"}},
	},
	{
		name: "tcp register across two segments answered 200", transport: TCP, client: 58882, server: 5060,
		steps: []flowStep{
			{ToServer, sipTCPRegister1, ConfirmedMore},
			{ToServer, sipTCPRegister2, ConfirmedMore}, // the head goes on: User-Agent is here
			{ToClient, sipTCP200, Confirmed},
		},
		attrs: []Attr{{"method", "REGISTER"}, {"via", "TCP"}, {"user-agent", "Zoiper rv2.10.3.2"}, {"status", "200"}, {"server", "kamailio (5.2.1 (x86_64/linux))"}},
	},
	{
		name: "response first, as when the capture starts mid-dialog", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, sipUDP401, ConfirmedMore}, {ToClient, sipUDPRegister, Confirmed}},
		attrs: []Attr{{"status", "401"}, {"via", "UDP"}, {"method", "REGISTER"}, {"user-agent", "Nero SIPPS IP Phone Version 2.0.51.16"}},
	},
	{
		name: "rfc 5626 keep-alives before the first message", transport: TCP, client: 58882, server: 5060,
		steps: []flowStep{
			{ToServer, []byte("\r\n\r\n"), NeedMore},
			{ToClient, []byte("\r\n"), NeedMore},
			{ToServer, sipTCPRegister1, ConfirmedMore},
			{ToClient, []byte("\r\n"), ConfirmedMore}, // a keep-alive answer is not the first message
			{ToClient, sipTCP200, ConfirmedMore},      // the request's head is not over yet
			{ToServer, sipTCPRegister2, Confirmed},
		},
		attrs: []Attr{{"method", "REGISTER"}, {"via", "TCP"}, {"status", "200"}, {"server", "kamailio (5.2.1 (x86_64/linux))"}, {"user-agent", "Zoiper rv2.10.3.2"}},
	},
	{
		name: "keep-alives only", transport: TCP, client: 58882, server: 5060,
		steps: []flowStep{
			{ToServer, []byte("\r\n\r\n"), NeedMore}, {ToClient, []byte("\r\n"), NeedMore},
			{ToServer, []byte("\r\n\r\n"), NeedMore}, {ToClient, []byte("\r\n"), NeedMore},
			{ToServer, []byte("\r\n\r\n"), NeedMore}, {ToClient, []byte("\r\n"), NeedMore},
			{ToServer, []byte("\r\n\r\n"), NeedMore}, {ToClient, []byte("\r\n"), Violated},
		},
	},
	{
		name: "trusted application SERVICE answered 200", transport: TCP, client: 53041, server: 5060,
		steps: []flowStep{{ToServer, sipSampleService, ConfirmedMore}, {ToClient, sipSample200, Confirmed}},
		attrs: []Attr{{"method", "SERVICE"}, {"via", "TCP"}, {"user-agent", "RTCC/5.0.0.0 ContosoPresenceMonitor/1.2"}, {"status", "200"}, {"server", "RTC/5.0"}},
	},
	{
		// Crafted from two real messages the server sent on that flow: a
		// 200 and a BENOTIFY that Nagle's algorithm could put in one
		// segment. The walk goes past the first by its Content-Length.
		name: "two messages in one segment", transport: TCP, client: 53041, server: 5060,
		steps: []flowStep{{ToClient, append(append([]byte{}, sipSample200...), sipSampleBenotify...), ConfirmedMore}},
		attrs: []Attr{{"status", "200"}, {"via", "TCP"}, {"server", "RTC/5.0"}, {"method", "BENOTIFY"}, {"user-agent", "RTC/5.0"}},
	},
	{
		name: "INVITE in the first of two IPv4 fragments", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, sipSampleInviteFragment, ConfirmedMore}},
		attrs: []Attr{{"method", "INVITE"}, {"via", "UDP"}, {"user-agent", "AudioCodes-Sip-Gateway-Mediant 1000/v.6.60A.227.005"}},
	},
	{
		name: "start line alone in the first segment", transport: TCP, client: 58882, server: 5060,
		steps: []flowStep{
			{ToServer, sipTCPRegister1[:51], NeedMore},
			{ToServer, sipTCPRegister1[51:], ConfirmedMore},
		},
		attrs: []Attr{{"method", "REGISTER"}, {"via", "TCP"}},
	},
	{
		name: "head cut in a line before any proof", transport: TCP, client: 50000, server: 5060,
		steps: []flowStep{
			{ToServer, []byte("INVITE sip:bob@contoso.com SIP/2.0\r\nMax-Forw"), NeedMore},
			{ToServer, []byte("ards: 70\r\nVia: SIP/2.0/TLS 10.0.0.1:5061\r\n"), ConfirmedMore},
		},
		attrs: []Attr{{"method", "INVITE"}, {"via", "TLS"}},
	},
	{
		name: "unknown method", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, []byte("FOO sip:bob@contoso.com SIP/2.0\r\nCall-ID: a@b\r\n\r\n"), ConfirmedMore}},
		attrs: []Attr{{"method", "FOO"}, {"known-method", "no"}},
	},
	{
		name: "compact header forms", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, []byte("MESSAGE sip:bob@contoso.com SIP/2.0\r\nv: SIP/2.0/UDP 10.0.0.1\r\n" +
			"f: <sip:alice@contoso.com>;tag=1\r\ni: x@y\r\nl: 2\r\n\r\nhi"), ConfirmedMore}},
		attrs: []Attr{{"method", "MESSAGE"}, {"via", "UDP"}},
	},
	{
		name: "a broken line after a proving field", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, []byte("SIP/2.0 401 Unauthorized\r\nCall-ID: x@y\r\nTo: <sip:a@b>;tag=\x00\r\n"), ConfirmedMore}},
		attrs: []Attr{{"status", "401"}},
	},
	{
		name: "the other side answers with something else", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{{ToServer, sipUDPRegister, ConfirmedMore}, {ToClient, negRTP, Confirmed}},
		attrs: []Attr{{"method", "REGISTER"}, {"via", "UDP"}, {"user-agent", "Nero SIPPS IP Phone Version 2.0.51.16"}},
	},
	{
		name: "no answer within the budget", transport: UDP, client: 5060, server: 5060,
		steps: []flowStep{
			{ToServer, sipUDPRegister, ConfirmedMore}, {ToServer, sipUDPRegister, ConfirmedMore},
			{ToServer, sipUDPRegister, ConfirmedMore}, {ToServer, sipUDPRegister, ConfirmedMore},
			{ToServer, sipUDPRegister, ConfirmedMore}, {ToServer, sipUDPRegister, ConfirmedMore},
			{ToServer, sipUDPRegister, ConfirmedMore}, {ToServer, sipUDPRegister, Confirmed},
		},
		attrs: []Attr{{"method", "REGISTER"}, {"via", "UDP"}, {"user-agent", "Nero SIPPS IP Phone Version 2.0.51.16"}},
	},

	// Not SIP.
	{name: "fuzzed method token", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, sipFuzzedMethod, Violated}}},
	{name: "http request", transport: TCP, client: 54422, server: 80, steps: []flowStep{{ToServer, httpTwoVLANGet, Violated}}},
	{name: "http response", transport: TCP, client: 49162, server: 80, steps: []flowStep{{ToClient, httpErspan401, Violated}}},
	{name: "rtsp request", transport: TCP, client: 50000, server: 554, steps: []flowStep{{ToServer, []byte("OPTIONS rtsp://media.example.com/a RTSP/1.0\r\nCSeq: 1\r\n\r\n"), Violated}}},
	{name: "no field proves sip", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"), Violated}}},
	{name: "datagram cut before any proof", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("INVITE sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\nContent-Ty"), Violated}}},
	{name: "status code 700", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("SIP/2.0 700 Nope\r\nVia: SIP/2.0/UDP x\r\n\r\n"), Violated}}},
	{name: "status line without reason separator", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("SIP/2.0 200\r\nVia: SIP/2.0/UDP x\r\n\r\n"), Violated}}},
	{name: "nul in the head before proof", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("INVITE sip:a@b SIP/2.0\r\nMax\x00: 1\r\nVia: SIP/2.0/UDP x\r\n\r\n"), Violated}}},
	{name: "uri without a colon", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("INVITE bob SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n\r\n"), Violated}}},
	{name: "lowercase method", transport: UDP, client: 5060, server: 5060, steps: []flowStep{{ToServer, []byte("invite sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n\r\n"), Violated}}},
	{name: "start line cut short", transport: TCP, client: 50000, server: 5060, steps: []flowStep{{ToServer, []byte("INVITE sip:bob@con"), Violated}}},
	{name: "head goes on with junk", transport: TCP, client: 50000, server: 5060, steps: []flowStep{
		{ToServer, []byte("INVITE sip:bob@contoso.com SIP/2.0\r\n"), NeedMore},
		{ToServer, negTLSClientHello, Violated},
	}},
}

func TestSIP(t *testing.T) { runFlowCases(t, sipSig{}, sipCases) }

// TestSIPKnowsLyncMethods checks that every method Lync uses opens a flow
// without "known-method" = "no".
func TestSIPKnowsLyncMethods(t *testing.T) {
	for _, m := range sipMethods {
		var s State
		s.Reset(UDP, 5060, 5060)
		msg := m + " sip:bob@contoso.com SIP/2.0\r\nCSeq: 1 " + m + "\r\n\r\n"
		if got := (sipSig{}).Inspect(&s, ToServer, []byte(msg)); got != ConfirmedMore {
			t.Errorf("%s: got %v, want confirmed-more", m, got)
		}
		if s.Detail.Get("method") != m || s.Detail.Get("known-method") != "" {
			t.Errorf("%s: detail %v", m, s.Detail.Attrs)
		}
	}
}

// FuzzSIP feeds arbitrary bytes to the SIP signature as up to four
// payloads.
func FuzzSIP(f *testing.F) {
	for _, seed := range [][]byte{sipUDPRegister, sipUDP401, sipTCPRegister1, sipTCPRegister2, sipTCP200, sipSampleService, sipSampleBenotify, sipSampleInviteFragment, sipFuzzedMethod} {
		f.Add(seed, uint16(0), uint16(0), uint16(0), uint8(0), true)
		f.Add(seed, uint16(len(seed)/3), uint16(len(seed)/3), uint16(0), uint8(0b0110), false)
	}
	f.Add([]byte("\r\n\r\nINVITE sip:a@b SIP/2.0\r\nv: x\r\n\r\n"), uint16(4), uint16(0), uint16(0), uint8(0), false)
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2, cut3 uint16, dirs uint8, udp bool) {
		checkAnswers(t, sipSig{}, transportFor(!udp), 50000, 5060, cutInFour(data, [3]uint16{cut1, cut2, cut3}, dirs))
	})
}

// BenchmarkSIP measures the SIP signature on a payload it rejects (TLS),
// one it waits on (a keep-alive) and one it names (a REGISTER).
func BenchmarkSIP(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
	}{{"tls", negTLSClientHello}, {"keep-alive", []byte("\r\n\r\n")}, {"register", sipTCPRegister1}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			var s State
			for b.Loop() {
				s.Reset(TCP, 58882, 5060)
				sipSig{}.Inspect(&s, ToServer, c.data)
			}
		})
	}
}
