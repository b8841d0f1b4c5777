import ArgumentParser
import GatehouseClient
import GatehouseModel

/// `gatehouse <kind> create|update|get|list|delete`, the same five commands for every kind.
struct ResourceCommandGroup<Kind: ResourceCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: Kind.kind.singular, abstract: Kind.abstract,
            subcommands: [
                CreateCommand<Kind>.self, UpdateCommand<Kind>.self, GetCommand<Kind>.self,
                ListCommand<Kind>.self, DeleteCommand<Kind>.self,
            ] + Kind.extraSubcommands,
            aliases: [Kind.kind.rawValue])
    }
}

struct CreateCommand<Kind: ResourceCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "create", abstract: "Create \(Kind.kind.withArticle) (an error if the name is taken).")
    }

    @Argument(help: "The \(Kind.kind.singular)'s name.") var name: String
    @OptionGroup var scope: Kind.Scope
    @OptionGroup var fields: Kind.Fields
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let resource = try Kind.makeResource(named: name, from: fields)
        let created = try await options.withClient { client in
            let created = try await client.create(resource, org: scope.org)
            return try await Kind.afterWrite(created, fields: fields, scope: scope, client: client) ?? created
        }
        if let value = Kind.shownOnce(created) {
            // The one time the server shows it: stdout carries the value (or the document with
            // it, for -o json|yaml), the warning goes to stderr so a script can capture the key.
            Console.error(
                "\(Kind.label(name, in: scope)) created; its key is shown now and never again: store it safely")
            if options.output == .table {
                Console.out(value)
            } else {
                Console.out(try options.renderer.render(created))
            }
            return
        }
        try ResourceOutput.written(created, verb: "created", label: Kind.label(name, in: scope), options: options)
    }
}

/// Read, change what the flags say, write back only if nobody changed it in between.
struct UpdateCommand<Kind: ResourceCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "update",
            abstract: "Change the given fields of \(Kind.kind.withArticle), keeping the others.",
            discussion: "The write is conditional on the revision read (If-Match): a concurrent change makes it fail with 412 rather than be overwritten.")
    }

    @Argument(help: "The \(Kind.kind.singular)'s name.") var name: String
    @OptionGroup var scope: Kind.Scope
    @OptionGroup var fields: Kind.Fields
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func validate() throws {
        guard !fields.isEmpty else { throw ValidationError("nothing to update: give at least one field option") }
    }

    func run() async throws {
        let updated = try await options.withClient { client in
            var resource = try await client.get(Kind.Value.self, named: name, org: scope.org)
            let revision = resource.revision
            try Kind.update(&resource, from: fields)
            let written = try await client.put(resource, org: scope.org, ifMatch: revision).resource
            return try await Kind.afterWrite(written, fields: fields, scope: scope, client: client) ?? written
        }
        try ResourceOutput.written(updated, verb: "updated", label: Kind.label(name, in: scope), options: options)
    }
}

struct GetCommand<Kind: ResourceCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "get", abstract: "Show \(Kind.kind.withArticle).")
    }

    @Argument(help: "The \(Kind.kind.singular)'s name.") var name: String
    @OptionGroup var scope: Kind.Scope
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let (resource, urls) = try await options.withClient { client in
            let resource = try await client.get(Kind.Value.self, named: name, org: scope.org)
            guard options.output == .table, let edge = try await client.version()?.edgeURL else { return (resource, [String]()) }
            return (resource, try await Kind.publicURLs(of: resource, edge: edge, client: client))
        }
        Console.out(try options.renderer.render(resource))
        if !urls.isEmpty { Console.out("URLS:\n" + urls.map { "  \($0)" }.joined(separator: "\n")) }
    }
}

struct ListCommand<Kind: ResourceCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "list", abstract: "List \(Kind.kind.rawValue), by name.")
    }

    @OptionGroup var scope: Kind.Scope
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let resources = try await options.withClient { try await $0.listAll(Kind.Value.self, org: scope.org) }
        if resources.isEmpty && options.output == .table {
            // Said on stderr: stdout stays empty, as it is for an empty list.
            Console.error("no \(Kind.kind.rawValue)" + (scope.org.map { " in org \($0)" } ?? ""))
            return
        }
        Console.out(try options.renderer.render(resources))
    }
}

struct DeleteCommand<Kind: ResourceCommandKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "delete", abstract: "Delete \(Kind.kind.withArticle).")
    }

    @Argument(help: "The \(Kind.kind.singular)'s name.") var name: String
    @OptionGroup var scope: Kind.Scope
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        try await options.withClient { try await $0.delete(Kind.Value.self, named: name, org: scope.org) }
        ResourceOutput.confirm("\(Kind.label(name, in: scope)) deleted", options: options)
    }
}

/// What mutating commands print: a confirmation line for people, the stored resource for
/// `-o json|yaml` (so a script gets the revision without another GET).
enum ResourceOutput {
    static func written<R: DisplayableResource>(_ resource: R, verb: String, label: String, options: ClientOptions) throws {
        if options.output == .table {
            Console.out("\(label) \(verb)")
        } else {
            Console.out(try options.renderer.render(resource))
        }
    }

    /// A line for people only: with `-o json|yaml`, stdout carries data and nothing else.
    static func confirm(_ line: String, options: ClientOptions) {
        if options.output == .table { Console.out(line) }
    }
}
