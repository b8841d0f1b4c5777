/// Parts of the suite's `optional/` directory that are not run, and why. Everything else in
/// `optional/` (bignum, float-overflow, ecmascript-regex, non-bmp-regex, anchor, id, dynamicRef,
/// no-schema, refOfUnknownKeyword, unknownKeyword) runs and must pass.
enum OptionalSkips {
    /// Whole files not run. `optional/format/` is not run either: it asserts formats, while
    /// draft 2020-12 makes `format` an annotation by default and this validator does not implement
    /// the format-assertion vocabulary.
    static let files: [String: String] = [
        "optional/dependencies-compatibility.json":
            "draft 7's `dependencies` keyword, split into dependentRequired/dependentSchemas in 2019-09; not supported",
        "optional/cross-draft.json":
            "references into documents of historic drafts (2019-09 here); only draft 2020-12 is supported, other `$schema`s are refused",
        "optional/format-assertion.json":
            "the format-assertion vocabulary is not implemented; a meta-schema requiring it is refused",
    ]

    /// Single cases (`group description / case description`) whose failure is accepted, by file.
    static let cases: [String: Set<String>] = [:]
}
