import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

@Suite struct DeployedFunctionTests {
    @Test func codeLivesUnderItsDigestAndKeysChangeWithTheCode() throws {
        var function = Function(name: "hello", http: "http://127.0.0.1:1/")
        function.runtime = .process
        function.http = nil
        function.process = .init(language: .python3, handler: "main.handle")
        function.revision = 7
        function.code = .init(digest: "sha256:" + String(repeating: "ab", count: 32), size: 10, format: .file, filename: "main.py")
        let root = URL(fileURLWithPath: "/var/lib/gatehouse/code")
        let deployed = DeployedFunction(org: "acme", function: function, codeRoot: root)
        #expect(deployed.codeDirectory?.path == "/var/lib/gatehouse/code/" + String(repeating: "ab", count: 32) + "-main.py")
        var changed = function
        changed.code?.digest = "sha256:" + String(repeating: "cd", count: 32)
        #expect(DeployedFunction(org: "acme", function: changed, codeRoot: root).key != deployed.key)
    }
}
