import Foundation
import NIOConcurrencyHelpers

/// A device authorization (RFC 8628) between `POST /auth/device/code` and the device's last poll.
public struct DeviceAuthorization: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case pending
        /// The person signed in through `provider` and so approved the device.
        case approved(LoginIdentity, provider: String)
        case denied
    }

    public var clientID: String
    public var org: String
    /// The identity provider the person signs in with.
    public var provider: String
    public var scopes: [String]
    public var userCode: String
    public var expiresAt: Date
    /// Seconds the device must wait between polls; grows by 5 on each `slow_down`.
    public var interval: TimeInterval
    public var lastPoll: Date?
    public var status: Status = .pending
}

/// What a device's poll gets (RFC 8628 §3.5).
public enum DevicePollOutcome: Sendable, Equatable {
    case pending
    case slowDown(interval: TimeInterval)
    case expired
    case denied
    /// The authorization, removed: a device code yields tokens once.
    case approved(DeviceAuthorization)
    /// No such device code (never issued, or already used).
    case unknown
}

/// Device authorizations in memory, by the hash of the device code and by user code: short-lived
/// (ten minutes), bounded, single use. A restart only makes a device start over.
///
/// Codes are looked up by their SHA-256 (`CredentialHash`), so neither lookup's timing depends on
/// how much of a stored code a guess matches.
public final class DeviceAuthorizations: Sendable {
    public static let defaultLifetime: TimeInterval = 600
    public static let defaultInterval: TimeInterval = 5
    public static let slowDownStep: TimeInterval = 5

    private struct State {
        var byDeviceCode: [String: DeviceAuthorization] = [:]
        /// User code → device code hash.
        var byUserCode: [String: String] = [:]
    }

    public let lifetime: TimeInterval
    public let capacity: Int
    private let state = NIOLockedValueBox(State())

    public init(lifetime: TimeInterval = DeviceAuthorizations.defaultLifetime, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// Starts an authorization; returns its device code and user code, or nil when full.
    public func start(
        clientID: String, org: String, provider: String, scopes: [String], now: Date
    ) -> (deviceCode: String, authorization: DeviceAuthorization)? {
        let deviceCode = RandomToken.make()
        return state.withLockedValue { state in
            if state.byDeviceCode.count >= capacity { Self.sweep(&state, now: now) }
            guard state.byDeviceCode.count < capacity else { return nil }
            var userCode = UserCode.generate()
            while state.byUserCode[userCode] != nil { userCode = UserCode.generate() }
            let authorization = DeviceAuthorization(
                clientID: clientID, org: org, provider: provider, scopes: scopes, userCode: userCode,
                expiresAt: now.addingTimeInterval(lifetime), interval: Self.defaultInterval)
            let key = CredentialHash.of(deviceCode)
            state.byDeviceCode[key] = authorization
            state.byUserCode[userCode] = key
            return (deviceCode, authorization)
        }
    }

    /// The pending authorization a typed user code names, if it has not expired.
    public func pending(userCode typed: String, now: Date) -> DeviceAuthorization? {
        guard let userCode = UserCode.normalized(typed) else { return nil }
        return state.withLockedValue { state in
            guard let key = state.byUserCode[userCode], let found = state.byDeviceCode[key],
                found.status == .pending, found.expiresAt > now
            else { return nil }
            return found
        }
    }

    /// Records the person's answer for a pending authorization; false when it is gone or decided.
    @discardableResult
    public func decide(userCode: String, _ status: DeviceAuthorization.Status, now: Date) -> Bool {
        state.withLockedValue { state in
            guard let key = state.byUserCode[userCode], var found = state.byDeviceCode[key],
                found.status == .pending, found.expiresAt > now
            else { return false }
            found.status = status
            state.byDeviceCode[key] = found
            return true
        }
    }

    /// A device's poll: enforces the interval, and hands out an approval once.
    public func poll(deviceCode: String, clientID: String, now: Date) -> DevicePollOutcome {
        guard deviceCode.utf8.count <= 128 else { return .unknown }
        let key = CredentialHash.of(deviceCode)
        return state.withLockedValue { state in
            guard var found = state.byDeviceCode[key], found.clientID == clientID else { return .unknown }
            guard found.expiresAt > now else {
                Self.remove(key, from: &state)
                return .expired
            }
            switch found.status {
            case .denied:
                Self.remove(key, from: &state)
                return .denied
            case .approved:
                Self.remove(key, from: &state)
                return .approved(found)
            case .pending:
                defer { state.byDeviceCode[key] = found }
                if let last = found.lastPoll, now.timeIntervalSince(last) < found.interval {
                    found.interval += Self.slowDownStep
                    found.lastPoll = now
                    return .slowDown(interval: found.interval)
                }
                found.lastPoll = now
                return .pending
            }
        }
    }

    public var count: Int { state.withLockedValue { $0.byDeviceCode.count } }

    private static func remove(_ key: String, from state: inout State) {
        if let removed = state.byDeviceCode.removeValue(forKey: key) { state.byUserCode[removed.userCode] = nil }
    }

    private static func sweep(_ state: inout State, now: Date) {
        for (key, found) in state.byDeviceCode where found.expiresAt <= now { remove(key, from: &state) }
    }
}
