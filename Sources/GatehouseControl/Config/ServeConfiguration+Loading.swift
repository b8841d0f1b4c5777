import Foundation

extension ServeConfiguration {
    /// The file read when neither `--config` nor `GATEHOUSE_CONFIG` names one; its absence is fine.
    public static let defaultConfigFile = "./gatehouse.yaml"

    /// Builds the configuration from, in rising precedence: defaults, the YAML file, the
    /// environment, the flags. Every value is validated; the first bad one is reported with its
    /// source and key.
    ///
    /// - Parameters:
    ///   - configFile: the `--config` flag. Without it `GATEHOUSE_CONFIG` names the file, else
    ///     `defaultConfigFile` is read if it exists. A file that is named explicitly must exist.
    ///   - environment: usually `ProcessInfo.processInfo.environment`.
    ///   - flags: what the command line sets.
    public static func load(
        configFile: String?,
        environment: [String: String],
        flags: Overrides,
        defaultConfigFile: String = ServeConfiguration.defaultConfigFile
    ) throws(ConfigurationError) -> ServeConfiguration {
        var configuration = ServeConfiguration()
        if let path = try locateConfigFile(flag: configFile, environment: environment, defaultConfigFile: defaultConfigFile) {
            let file = try ConfigurationFile.read(path: path)
            configuration.apply(file.overrides)
            if let tls = file.tls { configuration.tls = tls }
        }
        configuration.apply(try ConfigurationEnvironment.overrides(from: environment))
        try flags.validate(as: .flags)
        configuration.apply(flags)
        try configuration.validate()
        return configuration
    }

    /// The configuration file `load` reads, or nil when there is none. Throws when the file was
    /// named explicitly (flag or `GATEHOUSE_CONFIG`) but does not exist.
    public static func locateConfigFile(
        flag: String?,
        environment: [String: String],
        defaultConfigFile: String = ServeConfiguration.defaultConfigFile
    ) throws(ConfigurationError) -> String? {
        let named = flag ?? environment[ConfigurationEnvironment.configFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        guard let named else {
            return FileManager.default.fileExists(atPath: defaultConfigFile) ? defaultConfigFile : nil
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: named, isDirectory: &isDirectory) else {
            throw ConfigurationError(source: .file(path: named), reason: "the file does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ConfigurationError(source: .file(path: named), reason: "is a directory, not a file")
        }
        return named
    }
}
