import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A name a certificate is issued for: a DNS name or an IP address literal, which X.509 keeps in
/// different kinds of subject alternative name (clients match `127.0.0.1` only against an
/// iPAddress entry, never against a dNSName).
enum CertificateHostName: Hashable, Sendable, CustomStringConvertible {
    case dns(String)
    /// 4 or 16 bytes in network order.
    case ip([UInt8])

    /// Parses an IP literal or a DNS name; nil for text that is neither.
    init?(_ text: String) {
        if let bytes = Self.ipAddressBytes(text) {
            self = .ip(bytes)
            return
        }
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard TLSSettingsValidation.isHostPattern(name), !name.hasPrefix("*.") else { return nil }
        self = .dns(name)
    }

    init?(_ generalName: GeneralName) {
        switch generalName {
        case .dnsName(let name): self = .dns(name.lowercased())
        case .ipAddress(let octets): self = .ip(Array(octets.bytes))
        default: return nil
        }
    }

    var generalName: GeneralName {
        switch self {
        case .dns(let name): .dnsName(name)
        case .ip(let bytes): .ipAddress(.init(contentBytes: bytes[...]))
        }
    }

    var description: String {
        switch self {
        case .dns(let name): return name
        case .ip(let bytes) where bytes.count == 4: return bytes.map(String.init).joined(separator: ".")
        case .ip(let bytes):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return String(nulTerminated: buffer)
        }
    }

    private static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension String {
    /// Text from a C buffer that a libc call filled and terminated with NUL.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
