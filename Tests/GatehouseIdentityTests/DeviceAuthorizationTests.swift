import Foundation
import Testing

@testable import GatehouseIdentity

@Suite struct DeviceAuthorizationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func userCodesAreEightUnambiguousCharacters() {
        for _ in 0..<200 {
            let code = UserCode.generate()
            #expect(code.count == 9 && code.dropFirst(4).first == "-")
            #expect(code.filter { $0 != "-" }.allSatisfy(UserCode.alphabet.contains))
            #expect(UserCode.normalized(code.lowercased().replacingOccurrences(of: "-", with: " ")) == code)
        }
        #expect(UserCode.normalized("ABCD-EFGH") == nil)  // vowels are not in the alphabet
        #expect(UserCode.normalized("BCDF-GHJ") == nil)
    }

    @Test func aDeviceGetsItsTokensOnceAfterApproval() throws {
        let devices = DeviceAuthorizations()
        let (deviceCode, started) = try #require(
            devices.start(clientID: "gatehouse-cli", org: "acme", provider: "corp", scopes: ["read"], now: now))
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now) == .pending)
        #expect(devices.poll(deviceCode: deviceCode, clientID: "other", now: now.addingTimeInterval(10)) == .unknown)
        #expect(devices.pending(userCode: started.userCode.lowercased(), now: now)?.org == "acme")
        #expect(devices.decide(userCode: started.userCode, .approved(LoginIdentity(subject: "alice"), provider: "corp"), now: now))
        #expect(!devices.decide(userCode: started.userCode, .denied, now: now), "decided once")
        #expect(devices.pending(userCode: started.userCode, now: now) == nil)
        guard case .approved(let approved) = devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(10)) else {
            Issue.record("not approved")
            return
        }
        #expect(approved.status == .approved(LoginIdentity(subject: "alice"), provider: "corp"))
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(20)) == .unknown)
    }

    @Test func pollingTooFastSlowsDownAndCodesExpire() throws {
        let devices = DeviceAuthorizations(lifetime: 60)
        let (deviceCode, started) = try #require(
            devices.start(clientID: "gatehouse-cli", org: "acme", provider: "corp", scopes: [], now: now))
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now) == .pending)
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(1)) == .slowDown(interval: 10))
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(7)) == .slowDown(interval: 15))
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(22)) == .pending)
        #expect(devices.pending(userCode: started.userCode, now: now.addingTimeInterval(61)) == nil)
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(61)) == .expired)
    }

    @Test func aDeniedLoginDeniesTheDevice() throws {
        let devices = DeviceAuthorizations()
        let (deviceCode, started) = try #require(
            devices.start(clientID: "gatehouse-cli", org: "acme", provider: "corp", scopes: [], now: now))
        devices.decide(userCode: started.userCode, .denied, now: now)
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now) == .denied)
        #expect(devices.poll(deviceCode: deviceCode, clientID: "gatehouse-cli", now: now.addingTimeInterval(10)) == .unknown)
    }
}
