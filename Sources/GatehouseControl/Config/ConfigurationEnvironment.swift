/// The `GATEHOUSE_*` environment variables.
///
/// An empty variable counts as unset, the usual shell convention (`GATEHOUSE_PLAIN_ADDR= gatehouse
/// serve` should not be an error).
enum ConfigurationEnvironment {
    /// Names the configuration file when no `--config` flag does.
    static let configFileVariable = "GATEHOUSE_CONFIG"

    static func overrides(from environment: [String: String]) throws(ConfigurationError) -> ServeConfiguration.Overrides {
        var overrides = ServeConfiguration.Overrides()
        for setting in ServeSetting.allCases {
            guard let text = environment[setting.environmentVariable], !text.isEmpty else { continue }
            func invalid(_ reason: String) -> ConfigurationError {
                ConfigurationError(source: .environment, key: setting.environmentVariable, reason: reason)
            }
            switch setting.valueType {
            case .string:
                overrides.set(setting, .string(text))
            case .integer:
                guard let value = Int(text) else { throw invalid("'\(text)' is not a whole number") }
                overrides.set(setting, .integer(value))
            case .number:
                guard let value = Double(text) else { throw invalid("'\(text)' is not a number") }
                overrides.set(setting, .number(value))
            }
        }
        try overrides.validate(as: .environment)
        return overrides
    }
}
