#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as 16 bytes (IPv4 as its IPv4-mapped IPv6 form, `::ffff:a.b.c.d`),
/// so one comparison serves both families and `10.0.0.1` and `::ffff:10.0.0.1` are the same
/// client, as a dual-stack socket reports it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64
    public let isIPv4: Bool

    /// Parses `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`; nil for anything else (no zone ids,
    /// no brackets, no ports).
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        if text.utf8.contains(UInt8(ascii: ":")) {
            guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            self.init(bytes: bytes)
        } else {
            guard inet_pton(AF_INET, text, &v4) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &v4) { Array($0) }
            self.init(bytes: Array(repeating: 0, count: 10) + [0xFF, 0xFF] + bytes)
        }
    }

    /// 16 bytes in network order.
    init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        self.high = high
        self.low = low
        self.isIPv4 = high == 0 && low >> 32 == 0xFFFF
    }

    public var description: String {
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        }
        let groups = (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * $0)) }
        return groups.map { String($0, radix: 16) }.joined(separator: ":")
    }
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or one address (`/32` or `/128` implied).
public struct IPRange: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    /// Prefix length over the 128-bit form (an IPv4 `/8` is `/104` here).
    let bits: Int
    public let text: String

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notAnAddress(String)
        case badPrefix(String)
        /// Bits set past the prefix (`10.0.0.1/8`): most likely a typo for a narrower rule.
        case hostBitsSet(String)

        public var description: String {
            switch self {
            case .notAnAddress(let text): "'\(text.prefix(60))' is not an IPv4 or IPv6 address"
            case .badPrefix(let text): "'\(text.prefix(60))' has a prefix length out of range (0-32 for IPv4, 0-128 for IPv6)"
            case .hostBitsSet(let text): "'\(text.prefix(60))' has bits set after its prefix; write the network address"
            }
        }
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { throw .notAnAddress(text) }
        let width = address.isIPv4 && !parts[0].contains(":") ? 32 : 128
        var prefix = width
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...width).contains(given), parts[1].allSatisfy(\.isNumber) else {
                throw .badPrefix(text)
            }
            prefix = given
        }
        let bits = prefix + (128 - width)
        guard Self.masked(address, bits: bits) == address else { throw .hostBitsSet(text) }
        self.network = address
        self.bits = bits
        self.text = text
    }

    public func contains(_ address: IPAddress) -> Bool {
        Self.masked(address, bits: bits) == network
    }

    public var description: String { text }

    private static func masked(_ address: IPAddress, bits: Int) -> IPAddress {
        func mask(_ value: UInt64, keeping count: Int) -> UInt64 {
            count <= 0 ? 0 : count >= 64 ? value : value & ~(UInt64.max >> UInt64(count))
        }
        var bytes: [UInt8] = []
        let high = mask(address.high, keeping: bits)
        let low = mask(address.low, keeping: bits - 64)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return IPAddress(bytes: bytes)
    }
}
