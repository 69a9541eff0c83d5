import Configuration
import Logging

/// How the `shroff` process logs, read with the gateway's other settings: `SHROFF_LOG_LEVEL`
/// (`trace` … `critical`, default and fallback `info`) and `SHROFF_LOG_FORMAT` (`text`, the
/// default, or `json`). Both are taken exactly as given, without the blank-means-unset rule.
public struct LogSettings: Sendable, Equatable {
    public enum Format: String, Sendable {
        case text, json
    }

    public var level: Logger.Level
    public var format: Format
    /// A `SHROFF_LOG_FORMAT` that is neither `text` nor `json`: logs are text, with a warning.
    public var unrecognizedFormat: String?

    public init(reading reader: ConfigReader) {
        let settings = SettingsReader(reader: reader)
        level = settings.raw(.logLevel).flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format = settings.raw(.logFormat) ?? Format.text.rawValue
        self.format = Format(rawValue: format) ?? .text
        unrecognizedFormat = Format(rawValue: format) == nil ? format : nil
    }
}
