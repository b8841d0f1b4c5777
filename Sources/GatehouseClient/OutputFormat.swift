/// How the CLI prints resources: a table for people, JSON (exactly the resources' JSON) for
/// scripts, YAML as documents that `gatehouse apply -f` accepts back.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table
    case json
    case yaml
}
