import ArgumentParser
import GatehouseClient
import GatehouseModel

/// `gatehouse delete -f FILE`: removes what a file describes, in reverse dependency order
/// (routes before the functions they reference, orgs last). Already absent is fine: the goal
/// is that the resources are gone.
struct DeleteFromFileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete the resources described in a file.")

    @OptionGroup var source: DocumentFileOptions
    @OptionGroup(title: "Connection and output") var options: ClientOptions

    func run() async throws {
        let documents = ApplyDocument.orderedForDelete(try source.documents())
        try await options.withClient { client in
            try await Self.delete(documents, with: client, options: options)
        }
    }

    /// Deletes `documents` in the order given, printing `<label> deleted` (or `not found`) for each;
    /// stops at the first other failure. `apply --prune` deletes through this too.
    static func delete(_ documents: [ApplyDocument], with client: AdminClient, options: ClientOptions) async throws {
        for document in documents {
            do {
                try await client.delete(document)
                ResourceOutput.confirm("\(document.label) deleted", options: options)
            } catch let problem as Problem where problem.status == 404 {
                ResourceOutput.confirm("\(document.label) not found", options: options)
            } catch {
                throw OperationFailure(subject: document.label, underlying: error)
            }
        }
    }
}
