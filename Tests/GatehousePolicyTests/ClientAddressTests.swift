import Testing

@testable import GatehousePolicy

@Suite("Client address behind trusted proxies")
struct ClientAddressTests {
    static let proxies = [try! IPRange(parsing: "10.0.0.0/8"), try! IPRange(parsing: "2001:db8:1::/48")]

    static func resolve(peer: String, _ forwardedFor: [String]) -> String {
        ClientAddress.resolve(peer: IPAddress(peer)!, forwardedFor: forwardedFor, trustedProxies: proxies).description
    }

    @Test("an untrusted peer is the client, whatever it claims")
    func untrustedPeer() {
        #expect(Self.resolve(peer: "203.0.113.9", ["198.51.100.1"]) == "203.0.113.9")
    }

    @Test("behind trusted proxies, the rightmost untrusted hop is the client; spoofed entries to its left are ignored")
    func trustedChain() {
        // The client sent "X-Forwarded-For: 1.2.3.4" itself; the proxy appended what it saw.
        #expect(Self.resolve(peer: "10.1.1.1", ["1.2.3.4, 198.51.100.7"]) == "198.51.100.7")
        // Two proxies, the header split over two fields.
        #expect(Self.resolve(peer: "10.1.1.1", ["1.2.3.4, 198.51.100.7", "10.2.2.2"]) == "198.51.100.7")
        #expect(Self.resolve(peer: "10.1.1.1", []) == "10.1.1.1")
        // Every hop trusted: the leftmost is as far as anyone can see.
        #expect(Self.resolve(peer: "10.1.1.1", ["10.9.9.9"]) == "10.9.9.9")
        #expect(Self.resolve(peer: "2001:db8:1::5", ["2001:db8:2::9"]) == "2001:db8:2:0:0:0:0:9")
    }

    @Test("garbage in the header stops the walk at the last trusted view")
    func garbage() {
        #expect(Self.resolve(peer: "10.1.1.1", ["198.51.100.7, not-an-ip"]) == "10.1.1.1")
        #expect(Self.resolve(peer: "10.1.1.1", ["unknown, 10.2.2.2"]) == "10.2.2.2")
    }
}
