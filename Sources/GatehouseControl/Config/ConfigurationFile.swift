import Foundation
import Yams

/// What a YAML configuration file sets.
///
/// Read strictly: an unknown key is an error rather than a silently ignored typo, and every value
/// must have the type its key expects. A key whose value is null is treated as absent.
struct ConfigurationFile: Sendable {
    var overrides = ServeConfiguration.Overrides()
    var tls: TLSSettings?

    static func read(path: String) throws(ConfigurationError) -> ConfigurationFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: .file(path: path), reason: "cannot read the file (\(describe(error)))")
        }
        return try parse(yaml: text, path: path)
    }

    static func parse(yaml: String, path: String) throws(ConfigurationError) -> ConfigurationFile {
        let reader = YAMLReader(path: path)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
            // Yams' own message quotes the whole file; name the key and the line instead.
            throw ConfigurationError(
                source: .file(path: path),
                key: duplicates.first,
                reason: "appears more than once in the same mapping (line \(context.mark.line))"
            )
        } catch {
            throw ConfigurationError(source: .file(path: path), reason: "not valid YAML: \(error)")
        }
        var file = ConfigurationFile()
        guard let root, root.null == nil else { return file }  // an empty file sets nothing
        for (key, value) in try reader.mapping(root, key: nil) where value.null == nil {
            if key == "tls" {
                file.tls = try readTLS(value, reader: reader)
            } else if let setting = ServeSetting(rawValue: key) {
                file.overrides.set(setting, try reader.value(value, as: setting.valueType, key: key))
            } else {
                let known = (ServeSetting.allCases.map(\.rawValue) + ["tls"]).joined(separator: ", ")
                throw reader.error(key: key, "unknown key (known keys: \(known))")
            }
        }
        try file.overrides.validate(as: .file(path: path))
        if let tls = file.tls {
            for (index, pair) in tls.certificates.enumerated() {
                do {
                    try TLSSettingsValidation.check(pair, key: "tls.certificates[\(index)]")
                } catch {
                    throw ConfigurationError(source: .file(path: path), key: error.key, reason: error.reason)
                }
            }
        }
        return file
    }

    private static func readTLS(_ node: Node, reader: YAMLReader) throws(ConfigurationError) -> TLSSettings {
        var settings = TLSSettings()
        for (key, value) in try reader.mapping(node, key: "tls") where value.null == nil {
            guard key == "certificates" else {
                throw reader.error(key: "tls.\(key)", "unknown key (known keys: certificates)")
            }
            for (index, item) in try reader.sequence(value, key: "tls.certificates").enumerated() {
                settings.certificates.append(try readCertificate(item, key: "tls.certificates[\(index)]", reader: reader))
            }
        }
        return settings
    }

    private static func readCertificate(
        _ node: Node,
        key prefix: String,
        reader: YAMLReader
    ) throws(ConfigurationError) -> CertificateSettings {
        var cert: String?
        var keyFile: String?
        var hosts: [String]?
        for (key, value) in try reader.mapping(node, key: prefix) where value.null == nil {
            let path = "\(prefix).\(key)"
            switch key {
            case "cert": cert = try reader.string(value, key: path)
            case "key": keyFile = try reader.string(value, key: path)
            case "hosts":
                hosts = []
                for (index, host) in try reader.sequence(value, key: path).enumerated() {
                    hosts?.append(try reader.string(host, key: "\(path)[\(index)]"))
                }
            default: throw reader.error(key: path, "unknown key (known keys: cert, key, hosts)")
            }
        }
        guard let cert else { throw reader.error(key: "\(prefix).cert", "missing (the PEM certificate chain file)") }
        guard let keyFile else { throw reader.error(key: "\(prefix).key", "missing (the PEM private key file)") }
        return CertificateSettings(cert: cert, key: keyFile, hosts: hosts)
    }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}

/// Typed access to YAML nodes whose errors name the file and the key.
private struct YAMLReader {
    let path: String

    func error(key: String?, _ reason: String) -> ConfigurationError {
        ConfigurationError(source: .file(path: path), key: key, reason: reason)
    }

    /// The entries of a mapping with string keys, in file order. (Yams already refuses a
    /// repeated key.)
    func mapping(_ node: Node, key: String?) throws(ConfigurationError) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else {
            throw error(key: key, "expected a mapping of keys to values, found \(kind(of: node))")
        }
        var entries: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw error(key: key, "keys must be plain names, found \(kind(of: keyNode))")
            }
            entries.append((scalar.string, value))
        }
        return entries
    }

    func sequence(_ node: Node, key: String) throws(ConfigurationError) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw error(key: key, "expected a list, found \(kind(of: node))")
        }
        return Array(sequence)
    }

    func string(_ node: Node, key: String) throws(ConfigurationError) -> String {
        // Numbers and booleans are accepted as their text: `dataDir: 2024` means the folder "2024".
        guard case .scalar(let scalar) = node, node.null == nil else {
            throw error(key: key, "expected a string, found \(kind(of: node))")
        }
        return scalar.string
    }

    func value(_ node: Node, as type: ServeSetting.ValueType, key: String) throws(ConfigurationError) -> SettingValue {
        switch type {
        case .string:
            return .string(try string(node, key: key))
        case .integer:
            guard case .scalar = node, let int = node.int else {
                throw error(key: key, "expected a whole number, found \(kind(of: node))")
            }
            return .integer(int)
        case .number:
            guard case .scalar = node, let number = node.float ?? node.int.map(Double.init) else {
                throw error(key: key, "expected a number, found \(kind(of: node))")
            }
            return .number(number)
        }
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let scalar): node.null != nil ? "null" : "'\(scalar.string)'"
        }
    }
}
