import Foundation
import JSONSchema

// The fields that shape each invocation, whatever the runtime.

extension Function {
    public static let maxConcurrencyLimit = 10_000
    public static let maxEnvEntries = 64
    public static let maxEnvValueBytes = 4_096

    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// The function sees the HTTP request and answers with an HTTP response.
        case http
        /// Dispatch-style: the function receives `{"context": {...}, "payload": ...}` and its
        /// return value is the response body.
        case envelope

        public init(from decoder: any Decoder) throws {
            self = try decodeNamed(decoder, what: "a mode")
        }
    }

    /// The input and output schemas. Either may be left out.
    public struct Schemas: Codable, Sendable, Equatable {
        public var `in`: JSONValue?
        public var out: JSONValue?

        public init(in input: JSONValue? = nil, out: JSONValue? = nil) {
            self.in = input
            self.out = out
        }
    }

    public var effectiveMode: Mode { mode ?? .http }
    public var secretNames: [String] { secrets ?? [] }

    /// Whether every invocation must be seen whole by Gatehouse (the body read, checked or
    /// wrapped, the call counted against `maxConcurrency`) rather than streamed through to an
    /// HTTP upstream.
    public var needsBufferedInvocation: Bool {
        !runtime.isHTTPUpstream || effectiveMode == .envelope || schema?.in != nil || schema?.out != nil
            || maxConcurrency != nil
            || !secretNames.isEmpty || !(env ?? [:]).isEmpty || openfaas?.basicAuthSecret != nil
    }

    func validateInvocationFields() throws(Problem) {
        if let maxConcurrency, !(1...Function.maxConcurrencyLimit).contains(maxConcurrency) {
            throw Problem.invalidField("maxConcurrency", "maxConcurrency must be between 1 and \(Function.maxConcurrencyLimit)")
        }
        if let maxQueue, !(0...Function.maxConcurrencyLimit).contains(maxQueue) {
            throw Problem.invalidField("maxQueue", "maxQueue must be between 0 and \(Function.maxConcurrencyLimit)")
        }
        if maxQueue != nil, maxConcurrency == nil {
            throw Problem.invalidField("maxQueue", "maxQueue bounds the wait for maxConcurrency: set maxConcurrency too")
        }
        if let secrets {
            try FieldRules.list(secrets, field: "secrets")
            for (index, secret) in secrets.enumerated() { try ResourceName.validate(secret, field: "secrets[\(index)]") }
            try FieldRules.unique(secrets, field: "secrets")
        }
        if let env {
            guard env.count <= Function.maxEnvEntries else {
                throw Problem.invalidField("env", "env has at most \(Function.maxEnvEntries) variables")
            }
            for (name, value) in env {
                guard Self.isEnvironmentName(name) else {
                    throw Problem.invalidField(
                        "env.\(name.prefix(64))", "environment variable names are letters, digits and '_', not starting with a digit")
                }
                guard !name.uppercased().hasPrefix("GATEHOUSE_") else {
                    throw Problem.invalidField("env.\(name)", "GATEHOUSE_* variables are set by Gatehouse itself")
                }
                guard value.utf8.count <= Function.maxEnvValueBytes, !value.utf8.contains(0) else {
                    throw Problem.invalidField(
                        "env.\(name)", "an environment value is at most \(Function.maxEnvValueBytes) bytes, without NUL")
                }
            }
        }
        if let schema {
            for (field, value) in [("schema.in", schema.in), ("schema.out", schema.out)] {
                guard let value else { continue }
                do {
                    _ = try JSONSchema(value)
                } catch {
                    throw Problem.invalidField(field, "\(field) is not a valid JSON Schema (draft 2020-12): \(error)")
                }
            }
        }
    }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 128 else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F }
        return letter(first) && name.utf8.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
