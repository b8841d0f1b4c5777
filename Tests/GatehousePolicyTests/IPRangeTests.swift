import Testing

@testable import GatehousePolicy

@Suite("IP addresses and CIDR ranges")
struct IPRangeTests {
    @Test("IPv4 and IPv6 blocks match what they should and nothing else")
    func matching() throws {
        let v4 = try IPRange(parsing: "10.0.0.0/8")
        #expect(v4.contains(IPAddress("10.255.1.2")!))
        #expect(!v4.contains(IPAddress("11.0.0.1")!))
        // A dual-stack socket reports IPv4 clients in the mapped form: the same client.
        #expect(v4.contains(IPAddress("::ffff:10.1.2.3")!))
        let v6 = try IPRange(parsing: "2001:db8::/32")
        #expect(v6.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!v6.contains(IPAddress("2001:db9::1")!))
        #expect(!v6.contains(IPAddress("10.0.0.1")!))
        let one = try IPRange(parsing: "192.0.2.7")
        #expect(one.contains(IPAddress("192.0.2.7")!) && !one.contains(IPAddress("192.0.2.8")!))
        let all = try IPRange(parsing: "0.0.0.0/0")
        #expect(all.contains(IPAddress("203.0.113.9")!) && !all.contains(IPAddress("::1")!))
        #expect(try IPRange(parsing: "::/0").contains(IPAddress("::1")!))
        let odd = try IPRange(parsing: "192.0.2.128/25")
        #expect(odd.contains(IPAddress("192.0.2.200")!) && !odd.contains(IPAddress("192.0.2.127")!))
    }

    @Test("malformed ranges are refused with the reason", arguments: [
        ("10.0.0.0/33", IPRange.ParseError.badPrefix("10.0.0.0/33")),
        ("2001:db8::/129", .badPrefix("2001:db8::/129")),
        ("10.0.0.0/-1", .badPrefix("10.0.0.0/-1")),
        ("10.0.0.0/+8", .badPrefix("10.0.0.0/+8")),
        ("10.0.0.1/8", .hostBitsSet("10.0.0.1/8")),
        ("10.0.0", .notAnAddress("10.0.0")),
        ("010.0.0.1", .notAnAddress("010.0.0.1")),
        ("example.com", .notAnAddress("example.com")),
        ("fe80::1%eth0", .notAnAddress("fe80::1%eth0")),
        ("", .notAnAddress("")),
    ])
    func refused(text: String, error: IPRange.ParseError) {
        #expect(throws: error) { try IPRange(parsing: text) }
    }

    @Test("addresses print in their usual form")
    func printing() {
        #expect(IPAddress("192.0.2.1")!.description == "192.0.2.1")
        #expect(IPAddress("::ffff:192.0.2.1")!.description == "192.0.2.1")
        #expect(IPAddress("2001:db8::1")!.description == "2001:db8:0:0:0:0:0:1")
    }
}
