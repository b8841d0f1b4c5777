import ArgumentParser
import GatehouseClient
import GatehouseModel

/// What one kind's command group (`gatehouse function ...`) needs to know beyond what all
/// kinds share: how it is scoped, its field flags, and how those flags make or change a
/// resource. The create/update/get/list/delete commands themselves are generic over this.
protocol ResourceCommandKind {
    associatedtype Value: DisplayableResource
    associatedtype Scope: ResourceScope
    associatedtype Fields: ResourceFields

    static var abstract: String { get }

    /// A new resource from the flags; a missing required flag is a `ValidationError`.
    static func makeResource(named name: String, from fields: Fields) throws -> Value

    /// Sets what the flags give and leaves the rest as read.
    static func update(_ resource: inout Value, from fields: Fields) throws

    /// A value the create response carries once (a new API key), which `create` prints.
    static func shownOnce(_ created: Value) -> String?

    /// Commands of this kind beyond create/update/get/list/delete (`policy check`).
    static var extraSubcommands: [any ParsableCommand.Type] { get }

    /// What create and update do once the resource is written (`function --code` uploads the
    /// code); the resource as it then is, or nil when there was nothing to do.
    static func afterWrite(_ written: Value, fields: Fields, scope: Scope, client: AdminClient) async throws -> Value?

    /// Where the edge serves the resource, for `get` (`edge` is the server's `edgeURL`).
    static func publicURLs(of resource: Value, edge: String, client: AdminClient) async throws -> [String]
}

extension ResourceCommandKind {
    static func shownOnce(_ created: Value) -> String? { nil }
    static var extraSubcommands: [any ParsableCommand.Type] { [] }
    static func afterWrite(_ written: Value, fields: Fields, scope: Scope, client: AdminClient) async throws -> Value? { nil }
    static func publicURLs(of resource: Value, edge: String, client: AdminClient) async throws -> [String] { [] }
}

/// The flags that set a resource's fields.
protocol ResourceFields: ParsableArguments {
    /// No field flag was given (an update would change nothing).
    var isEmpty: Bool { get }
}

/// Where a kind's resources live: platform-wide, or inside an org named with `--org`.
protocol ResourceScope: ParsableArguments {
    /// The org in the resource's path; nil for platform-wide kinds.
    var org: String? { get }
}

struct PlatformScope: ResourceScope {
    var org: String? { nil }
}

struct OrgScope: ResourceScope {
    @Option(
        name: .customLong("org"),
        help: "The org that owns the resource. Default: $GATEHOUSE_ORG, then the config file's org (`gatehouse config use-org`), then the login's org.")
    var explicitOrg: String?

    /// `--org`, or the default org; set by `validate()`, which ArgumentParser runs after parsing.
    private(set) var orgName = ""

    var org: String? { orgName }

    mutating func validate() throws {
        if let explicitOrg {
            orgName = explicitOrg
            return
        }
        let resolver = ClientSettingsResolver.current()
        guard let org = try resolver.defaultOrg() else {
            throw ValidationError("missing --org (or set a default: `gatehouse config use-org ORG`, or GATEHOUSE_ORG)")
        }
        orgName = org
    }
}

extension ResourceCommandKind {
    static var kind: ResourceKind { Value.kind }

    static func label(_ name: String, in scope: Scope) -> String {
        kind.label(name: name, org: scope.org)
    }
}

extension ResourceKind {
    /// "a function", "an identity-provider": for help texts.
    var withArticle: String {
        (singular.first.map { "aeiou".contains($0) } == true ? "an " : "a ") + singular
    }
}
