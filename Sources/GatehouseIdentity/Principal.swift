/// Who is calling, as established by authentication. The identity issue adds users, groups,
/// service accounts and API keys; for now the platform admin is the only principal.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case platformAdmin = "platform-admin"
    }

    public var kind: Kind
    public var subject: String

    public static let platformAdmin = Principal(kind: .platformAdmin, subject: "platform-admin")
}
