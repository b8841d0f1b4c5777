/// Run ids: `run_` and 26 base32 characters of 130 random bits (see `Run.isValidID`).
public enum RunID {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = Array("run_".utf8)
        bytes.reserveCapacity(30)
        for _ in 0..<26 { bytes.append(alphabet[Int(generator.next() % 32)]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
