/// A string enum member, refused with the accepted names when it is none of them: the decoding
/// error becomes the 400's detail (`'lambda' is not a runtime; use one of http, openfaas, ...`).
func decodeNamed<T: RawRepresentable & CaseIterable>(_ decoder: any Decoder, what: String) throws -> T
where T.RawValue == String {
    let raw = try decoder.singleValueContainer().decode(String.self)
    guard let value = T(rawValue: raw) else {
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: decoder.codingPath,
                debugDescription: "'\(raw.prefix(40))' is not \(what); use one of \(T.allCases.map(\.rawValue).joined(separator: ", "))"))
    }
    return value
}
