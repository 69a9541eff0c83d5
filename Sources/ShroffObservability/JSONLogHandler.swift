import Foundation
import Logging

/// Writes each log record as one JSON object on one line (`SHROFF_LOG_FORMAT=json`), for log
/// pipelines: `time`, `level`, `message`, `component` (the logger's label unless metadata names
/// one) and every metadata key (`rid`, `merchant_uid`, `order_id`, …) as a top-level field.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable (String) -> Void

    /// - Parameter write: receives each line, newline included.
    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit { fields.merge(explicit) { $1 } }
        var object: [(String, String)] = [
            ("time", JSONText.string(Self.timestamp(Date()))), ("level", JSONText.string(level.rawValue)),
            ("message", JSONText.string(message.description)),
        ]
        if fields["component"] == nil { object.append(("component", JSONText.string(label))) }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) { object.append((key, JSONText.value(value))) }
        write("{" + object.map { "\(JSONText.string($0.0)):\($0.1)" }.joined(separator: ",") + "}\n")
    }

    /// One `write(2)` per line, so that lines from several threads never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, base + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

/// JSON text for log fields (and the API document's YAML quoting), escaped byte by byte (quotes,
/// backslashes, control characters).
public enum JSONText {
    public static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let convertible): string(convertible.description)
        case .array(let values): "[" + values.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let entries):
            "{" + entries.sorted { $0.key < $1.key }.map { "\(string($0.key)):\(Self.value($0.value))" }.joined(separator: ",") + "}"
        }
    }
}
