import Foundation
import Testing

@testable import GatehouseModel

@Suite struct FunctionEngineTests {
    private func function(_ json: String) throws -> Function {
        try StrictJSON.decode(Function.self, from: Data(json.utf8))
    }

    @Test func openFaaSFunctionsAreReachedAtTheirInvokePath() throws {
        let plain = try function(#"{"name":"f","runtime":"openfaas","openfaas":{"gateway":"http://gw:8080/","function":"echo"}}"#)
        #expect(try plain.endpoint().upstream.basePath == "/function/echo")
        #expect(try plain.endpoint().host == nil)
        let spaced = try function(
            #"{"name":"f","runtime":"openfaas","openfaas":{"gateway":"https://faas.example/api","function":"echo","namespace":"team-a"}}"#)
        let endpoint = try spaced.endpoint()
        #expect(endpoint.upstream.basePath == "/api/function/echo.team-a" && endpoint.upstream.port == 443 && !endpoint.http2)
    }

    @Test func knativeServicesByIngressAreNamedByHost() throws {
        let byIngress = try function(#"{"name":"f","runtime":"knative","knative":{"ingress":"http://kourier:80","service":"hello"}}"#)
        #expect(try byIngress.endpoint().host == "hello.default.svc.cluster.local")
        #expect(try byIngress.endpoint().upstream.host == "kourier")
        let byURL = try function(#"{"name":"f","runtime":"knative","knative":{"url":"https://hello.default.example.com"}}"#)
        #expect(try byURL.endpoint().host == nil)
    }

    @Test func onlyTheRuntimesOwnBlockIsAccepted() throws {
        let stray = try function(#"{"name":"f","runtime":"http","http":{"url":"http://x/"},"openfaas":{"gateway":"http://g/","function":"e"}}"#)
        #expect(throws: Problem.self) { try stray.validate() }
        #expect(throws: Problem.self) { try function(#"{"name":"f","runtime":"knative","knative":{}}"#).validate() }
        #expect(throws: Problem.self) { try function(#"{"name":"f","runtime":"lambda"}"#) }
    }
}
