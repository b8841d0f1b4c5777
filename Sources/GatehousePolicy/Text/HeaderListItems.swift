/// The items of a comma-separated header value (RFC 9110 §5.6.1), with the optional whitespace
/// around each removed and empty items dropped.
func headerListItems(_ values: some Sequence<some StringProtocol>) -> [Substring] {
    values.flatMap { $0.split(separator: ",") }.compactMap { item in
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        guard let start = item.firstIndex(where: { !isSpace($0) }), let end = item.lastIndex(where: { !isSpace($0) }) else {
            return nil
        }
        return Substring(item[start...end])
    }
}
