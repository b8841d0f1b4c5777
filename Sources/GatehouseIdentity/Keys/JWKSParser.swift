import Foundation
import JWTKit

/// Turns a JWKS document (RFC 7517 §5) into the keys a trusted issuer may sign with.
///
/// Keys that cannot be used are skipped, not fatal, because real key sets mix signing keys with
/// encryption keys and algorithms Gatehouse does not accept. Each skip has a reason for the log.
enum JWKSParser {
    /// An issuer publishes a handful of keys; a document with hundreds is not a key set to trust.
    static let maximumKeyCount = 100

    struct Parsed {
        var keys: [VerificationKey]
        var skipped: [SkippedKey]
    }

    struct SkippedKey: Equatable, CustomStringConvertible {
        var keyID: String?
        var reason: String
        var description: String { "key \(keyID.map { "'\(LogSafe.fragment($0))'" } ?? "without kid"): \(reason)" }
    }

    static func parse(_ document: Data, allowedAlgorithms: Set<SignatureAlgorithm>) async throws(KeySetRefreshError) -> Parsed {
        guard let object = ClaimValue.decodeObject([UInt8](document)) else {
            throw .invalidKeySet("the document is not a JSON object")
        }
        guard case .array(let entries)? = object["keys"] else {
            throw .invalidKeySet("the document has no 'keys' array")
        }
        guard entries.count <= maximumKeyCount else {
            throw .invalidKeySet("the document has \(entries.count) keys, more than \(maximumKeyCount)")
        }
        var parsed = Parsed(keys: [], skipped: [])
        var seenKeyIDs: Set<String> = []
        for entry in entries {
            guard let member = entry.objectValue else {
                parsed.skipped.append(SkippedKey(keyID: nil, reason: "not a JSON object"))
                continue
            }
            let keyID = member["kid"]?.stringValue
            do throws(SkipReason) {
                let key = try await verificationKey(member, keyID: keyID, allowedAlgorithms: allowedAlgorithms)
                if let keyID {
                    // Two keys under one kid would make the choice of key the issuer's accident.
                    guard seenKeyIDs.insert(keyID).inserted else { throw SkipReason("its kid is used twice") }
                }
                parsed.keys.append(key)
            } catch {
                parsed.skipped.append(SkippedKey(keyID: keyID, reason: error.reason))
            }
        }
        return parsed
    }

    private struct SkipReason: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func verificationKey(
        _ member: [String: ClaimValue], keyID: String?, allowedAlgorithms: Set<SignatureAlgorithm>
    ) async throws(SkipReason) -> VerificationKey {
        if let keyIDValue = member["kid"], keyIDValue.stringValue == nil { throw SkipReason("its kid is not a string") }
        if let use = member["use"] {
            guard use.stringValue == "sig" else { throw SkipReason("its use is not 'sig'") }
        }
        if let operations = member["key_ops"] {
            guard operations.stringArrayValue?.contains("verify") == true else {
                throw SkipReason("its key_ops do not include 'verify'")
            }
        }
        // A published key set must hold public keys only; one with private members is a
        // leak at the issuer, and nothing of it is used.
        for privateMember in ["d", "p", "q", "dp", "dq", "qi", "k"] where member[privateMember] != nil {
            throw SkipReason("it carries private key material")
        }
        guard let keyType = member["kty"]?.stringValue else { throw SkipReason("it has no kty") }

        let key = try publicKey(keyType: keyType, member)
        var algorithms = key.usableAlgorithms(among: allowedAlgorithms)
        // A key that names its algorithm is used with that algorithm only (RFC 7517 §4.4).
        if let statedValue = member["alg"] {
            guard let stated = statedValue.stringValue.flatMap(SignatureAlgorithm.init(rawValue:)),
                algorithms.contains(stated)
            else {
                throw SkipReason("its alg is not one the issuer is allowed to use with this key")
            }
            algorithms = [stated]
        }
        guard !algorithms.isEmpty else { throw SkipReason("no allowed algorithm fits its key type") }
        do {
            return VerificationKey(keyID: keyID, verifiers: try await key.makeVerifiers(for: algorithms))
        } catch {
            throw SkipReason("jwt-kit could not build a verifier for it")
        }
    }

    private static func publicKey(keyType: String, _ member: [String: ClaimValue]) throws(SkipReason) -> PublicVerificationKey {
        func component(_ name: String) throws(SkipReason) -> String {
            guard let value = member[name]?.stringValue, Base64URL.decode(value) != nil else {
                throw SkipReason("its '\(name)' is missing or not base64url")
            }
            return value
        }
        do {
            switch keyType {
            case "RSA":
                // jwt-kit refuses moduli under 2048 bits.
                return .rsa(try JWTKit.Insecure.RSA.PublicKey(modulus: try component("n"), exponent: try component("e")))
            case "EC":
                let coordinates = (x: try component("x"), y: try component("y"))
                switch member["crv"]?.stringValue {
                case "P-256": return .p256(try ES256PublicKey(parameters: coordinates))
                case "P-384": return .p384(try ES384PublicKey(parameters: coordinates))
                case "P-521": return .p521(try ES512PublicKey(parameters: coordinates))
                default: throw SkipReason("its curve is not P-256, P-384 or P-521")
                }
            case "OKP":
                guard member["crv"]?.stringValue == "Ed25519" else { throw SkipReason("its curve is not Ed25519") }
                return .ed25519(try EdDSA.PublicKey(x: try component("x"), curve: .ed25519))
            default:
                throw SkipReason("its kty is not RSA, EC or OKP")
            }
        } catch let skip as SkipReason {
            throw skip
        } catch {
            throw SkipReason("it is not a valid \(keyType) public key")
        }
    }
}
