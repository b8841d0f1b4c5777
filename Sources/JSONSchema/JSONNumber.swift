/// An exact decimal number: `(-1)^negative × digits × 10^exponent`.
///
/// JSON numbers are decimal text of unbounded size, and a validator must answer
/// `1.0 is an integer`, `1e308 is a multiple of 0.5` and `0.0075 is a multiple of 0.0001`
/// exactly; `Double` gets the last two wrong and `Decimal` cannot hold 1e308. Keeping the
/// digits makes every comparison exact for any size. The form is normalised (no leading or
/// trailing zeros in `digits`; zero is `[]` and never negative), so the synthesised
/// `Hashable` is mathematical equality.
public struct JSONNumber: Sendable, Hashable {
    let negative: Bool
    /// Decimal digits, most significant first, each 0...9.
    let digits: [UInt8]
    let exponent: Int

    init(negative: Bool, digits: some Collection<UInt8>, exponent: Int) {
        var digits = Array(digits.drop(while: { $0 == 0 }))
        var exponent = exponent
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
        self.negative = negative && !digits.isEmpty
        self.digits = digits
        self.exponent = digits.isEmpty ? 0 : exponent
    }

    public init(_ value: Int) {
        let magnitude = String(value.magnitude).utf8.map { $0 - UInt8(ascii: "0") }
        self.init(negative: value < 0, digits: magnitude, exponent: 0)
    }

    var isZero: Bool { digits.isEmpty }

    /// Integral in the mathematical sense, so `1.0` and `1e2` count (draft 2020-12 §6.3).
    public var isInteger: Bool { exponent >= 0 }

    /// The position of the most significant digit: 10^(magnitudeOrder-1) <= |self| < 10^magnitudeOrder.
    private var magnitudeOrder: Int { digits.count + exponent }

    /// Compares absolute values.
    private static func compareMagnitude(_ lhs: JSONNumber, _ rhs: JSONNumber) -> Int {
        if lhs.isZero || rhs.isZero { return (lhs.isZero ? 0 : 1) - (rhs.isZero ? 0 : 1) }
        if lhs.magnitudeOrder != rhs.magnitudeOrder { return lhs.magnitudeOrder < rhs.magnitudeOrder ? -1 : 1 }
        // Same order of magnitude: aligned digit strings compare lexicographically.
        for index in 0..<max(lhs.digits.count, rhs.digits.count) {
            let left = index < lhs.digits.count ? lhs.digits[index] : 0
            let right = index < rhs.digits.count ? rhs.digits[index] : 0
            if left != right { return left < right ? -1 : 1 }
        }
        return 0
    }

    /// Whether `self / divisor` is an integer. `divisor` must be positive (the meta-schema requires it).
    func isMultiple(of divisor: JSONNumber) -> Bool {
        if isZero { return true }
        if divisor.isZero { return false }
        // self / divisor = (m1 / m2) × 10^(e1 - e2); m1 has no factor of 10 left after
        // normalisation, so a negative power of ten can never be absorbed.
        let shift = exponent - divisor.exponent
        if shift < 0 { return false }
        guard divisor.digits.count <= 18 else { return approximateIsMultiple(of: divisor) }
        let modulus = divisor.digits.reduce(UInt64(0)) { $0 * 10 + UInt64($1) }
        if modulus == 1 { return true }
        // (m1 × 10^shift) mod m2, by long division and fast exponentiation so even 1e1000000 is cheap.
        var remainder: UInt64 = 0
        for digit in digits { remainder = (Self.mulMod(remainder, 10, modulus) + UInt64(digit)) % modulus }
        var base: UInt64 = 10 % modulus, power = shift
        while power > 0 {
            if power & 1 == 1 { remainder = Self.mulMod(remainder, base, modulus) }
            base = Self.mulMod(base, base, modulus)
            power >>= 1
        }
        return remainder == 0
    }

    private static func mulMod(_ lhs: UInt64, _ rhs: UInt64, _ modulus: UInt64) -> UInt64 {
        let product = lhs.multipliedFullWidth(by: rhs)
        return modulus.dividingFullWidth((product.high, product.low)).remainder
    }

    /// Divisors with more than 18 significant digits do not fit the exact path; such schemas are
    /// unheard of, so a floating-point answer is good enough there.
    private func approximateIsMultiple(of divisor: JSONNumber) -> Bool {
        let quotient = doubleValue / divisor.doubleValue
        return quotient.isFinite && quotient == quotient.rounded()
    }

    var doubleValue: Double { Double(description) ?? .nan }
}

extension JSONNumber: Comparable {
    public static func < (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.negative != rhs.negative { return lhs.negative }
        let magnitude = compareMagnitude(lhs, rhs)
        return lhs.negative ? magnitude > 0 : magnitude < 0
    }
}

extension JSONNumber: CustomStringConvertible {
    /// Plain notation for everyday sizes, scientific beyond that.
    public var description: String {
        if isZero { return "0" }
        let sign = negative ? "-" : ""
        let text = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
        if exponent >= 0 && magnitudeOrder <= 21 {
            return sign + text + String(repeating: "0", count: exponent)
        }
        if exponent < 0 && magnitudeOrder > -6 {
            if magnitudeOrder > 0 {
                let split = text.index(text.startIndex, offsetBy: magnitudeOrder)
                return sign + text[..<split] + "." + text[split...]
            }
            return sign + "0." + String(repeating: "0", count: -magnitudeOrder) + text
        }
        let mantissa = text.count > 1 ? String(text.prefix(1)) + "." + text.dropFirst() : text
        return sign + mantissa + "e" + String(magnitudeOrder - 1)
    }
}
