/// Comparison of secrets (hashes of tokens and keys) whose running time does not depend on where
/// the inputs first differ, so a caller cannot learn a stored hash byte by byte from timings.
public enum ConstantTime {
    /// True when both have the same bytes. The length is not secret (all compared values are
    /// fixed-size digests), so a length mismatch returns at once.
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
