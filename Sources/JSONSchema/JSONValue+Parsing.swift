import Foundation

/// Why a document is not acceptable JSON; `offset` is the byte where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    /// The RFC 6901 pointer of the value being parsed (for a duplicate member name, that
    /// member's), so a caller can name the field; "" at the top level.
    public var pointer: String = ""
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }

    public init(offset: Int, reason: String, pointer: String = "") {
        self.offset = offset
        self.reason = reason
        self.pointer = pointer
    }
}

extension JSONValue {
    /// Nesting deeper than this is refused: it bounds the parser's recursion here and the
    /// validator's recursion over the instance later, so a hostile body cannot overflow the stack.
    /// Validation runs on Swift concurrency's threads, whose stacks are small (512 KiB on
    /// Linux): at 512 levels (1,024 evaluation levels) a `$ref` loop overflowed one, so 128.
    public static let maximumDepth = 128

    /// Parses RFC 8259 JSON (UTF-8). Strict: no trailing commas, comments, NaN or lone surrogates;
    /// duplicate member names are refused because consumers disagree on which one wins.
    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: [UInt8](data))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.error("unexpected data after the document") }
        return value
    }

    /// Convenience for literals and tests.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Data(text.utf8))
    }
}

/// A recursive-descent parser over the raw bytes.
private struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    /// The reference tokens from the document to the value being parsed.
    var path: [String] = []

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason, pointer: pointer) }

    var pointer: String {
        path.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    mutating func expect(_ literal: String) throws(JSONParseError) {
        for byte in literal.utf8 {
            guard current == byte else { throw error("expected \(literal)") }
            index += 1
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= JSONValue.maximumDepth else { throw error("nesting deeper than \(JSONValue.maximumDepth)") }
        guard let byte = current else { throw error("unexpected end of data") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let nameOffset = index
            let name = try parseString()
            skipWhitespace()
            try expect(":")
            skipWhitespace()
            path.append(name)
            defer { path.removeLast() }
            let value = try parseValue(depth: depth + 1)
            guard members.updateValue(value, forKey: name) == nil else {
                throw JSONParseError(offset: nameOffset, reason: "duplicate member name \"\(name)\"", pointer: pointer)
            }
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect("}")
            return .object(members)
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            path.append(String(items.count))
            defer { path.removeLast() }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect("]")
            return .array(items)
        }
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        var buffer: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unterminated string") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: buffer, as: UTF8.self) else { throw error("invalid UTF-8 in string") }
                return string
            case UInt8(ascii: "\\"):
                try parseEscape(into: &buffer)
            case 0..<0x20:
                index -= 1
                throw error("unescaped control character in string")
            default:
                buffer.append(byte)
            }
        }
    }

    /// The byte each single-character escape (`\n`, `\"`, …) stands for.
    static let simpleEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
        UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONParseError) {
        guard let byte = current else { throw error("unterminated escape") }
        index += 1
        if let replacement = Self.simpleEscapes[byte] { buffer.append(replacement); return }
        guard byte == UInt8(ascii: "u") else { throw error("invalid escape") }
        var scalar = try parseHex4()
        if (0xD800..<0xDC00).contains(scalar) {
            // A high surrogate must be followed by an escaped low one; together they are one scalar.
            guard current == UInt8(ascii: "\\") else { throw error("lone surrogate") }
            index += 1
            try expect("u")
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("lone surrogate") }
        buffer.append(contentsOf: Array(String(Character(unicode)).utf8))
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Self.hexValue(byte) else { throw error("invalid \\u escape") }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Numbers keep all their digits (see `JSONNumber`); only the exponent is bounded, so that
    /// `1e99999999999999999999` is refused instead of overflowing `Int`.
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let negative = current == UInt8(ascii: "-")
        if negative { index += 1 }
        var digits: [UInt8] = []
        var exponent = 0
        guard let first = current, Self.isDigit(first) else { throw error("expected a digit") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = current, Self.isDigit(byte) { digits.append(byte - UInt8(ascii: "0")); index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard let byte = current, Self.isDigit(byte) else { throw error("expected a digit after the decimal point") }
            while let byte = current, Self.isDigit(byte) {
                digits.append(byte - UInt8(ascii: "0"))
                exponent -= 1
                index += 1
            }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                exponentNegative = current == UInt8(ascii: "-")
                index += 1
            }
            guard let byte = current, Self.isDigit(byte) else { throw error("expected a digit in the exponent") }
            var written = 0
            while let byte = current, Self.isDigit(byte) {
                written = written * 10 + Int(byte - UInt8(ascii: "0"))
                guard written <= 1_000_000_000 else { throw error("exponent out of range") }
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        return JSONNumber(negative: negative, digits: digits, exponent: exponent)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
