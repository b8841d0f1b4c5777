import Foundation
import GatehouseModel
import Testing

@testable import GatehouseClient

@Suite("Admin client without a server")
struct AdminClientTests {
    @Test func paths() throws {
        #expect(try ResourcePath.collection(.org, org: nil) == "/v1/orgs")
        #expect(try ResourcePath.item(.org, name: "acme", org: nil) == "/v1/orgs/acme")
        #expect(try ResourcePath.collection(.function, org: "acme") == "/v1/orgs/acme/functions")
        #expect(try ResourcePath.item(.route, name: "hello", org: "acme") == "/v1/orgs/acme/routes/hello")
        #expect(try ResourcePath.item(.secret, name: "a/b", org: "acme") == "/v1/orgs/acme/secrets/a%2Fb")
        #expect(throws: AdminClientError.orgRequired(.function)) { try ResourcePath.collection(.function, org: nil) }
    }

    @Test func queryEscapesPlus() {
        #expect(ResourcePath.query([("cursor", "a+b/c="), ("limit", "10")]) == "cursor=a%2Bb%2Fc%3D&limit=10")
    }

    @Test func unreadableCACertificate() {
        #expect(throws: AdminClientError.self) {
            _ = try AdminClient(
                server: URL(string: "https://localhost:9443")!, token: nil,
                caCertificatePath: "/nonexistent/ca.pem", insecure: false)
        }
    }

    @Test func unreachableServerIsATransportError() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let client = try AdminClient(
            server: URL(string: "http://127.0.0.1:1")!, token: "t", caCertificatePath: nil, insecure: false,
            timeouts: ClientTimeouts(connect: .seconds(5), request: .seconds(5)))
        await #expect {
            _ = try await client.list(Org.self)
        } throws: { error in
            guard case AdminClientError.transport(let server, _) = error else { return false }
            return server == "http://127.0.0.1:1"
        }
        await #expect(throws: AdminClientError.orgRequired(.function)) {
            _ = try await client.get(Function.self, named: "hello")
        }
        try await client.shutdown()
    }

    @Test func keyValueArguments() throws {
        #expect(try KeyValueArgument(parsing: "user=app") == KeyValueArgument(key: "user", value: "app"))
        #expect(try KeyValueArgument(parsing: "token=a=b=") == KeyValueArgument(key: "token", value: "a=b="))
        #expect(try KeyValueArgument(parsing: "empty=") == KeyValueArgument(key: "empty", value: ""))
        #expect(throws: KeyValueArgumentError.self) { try KeyValueArgument(parsing: "s3cret") }
        #expect(throws: KeyValueArgumentError.self) { try KeyValueArgument(parsing: "=value") }
        // The message never repeats the argument, which may be a value typed without its key.
        let error = #expect(throws: KeyValueArgumentError.self) { try KeyValueArgument(parsing: "s3cret") }
        #expect(error?.description.contains("s3cret") == false)
    }
}
