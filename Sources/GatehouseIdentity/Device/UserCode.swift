/// The code a person types on the verification page (RFC 8628 §6.1): 8 characters from 20
/// consonants — no vowels (no words), no digits or letters that look alike (0/O, 1/I/L) — shown
/// as `XXXX-XXXX`. 20^8 ≈ 2^34.6, enough for a code that lives ten minutes and is rate limited by
/// its login.
public enum UserCode {
    public static let alphabet = Array("BCDFGHJKLMNPQRSTVWXZ")
    public static let length = 8

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return String(characters[0..<4]) + "-" + String(characters[4...])
    }

    /// The canonical form of what a person typed: upper case, without `-` and spaces; nil when
    /// it cannot be a user code.
    public static func normalized(_ typed: String) -> String? {
        let kept = typed.uppercased().filter { $0 != "-" && $0 != " " }
        guard kept.count == length, kept.allSatisfy(alphabet.contains) else { return nil }
        return String(kept.prefix(4)) + "-" + String(kept.dropFirst(4))
    }
}
