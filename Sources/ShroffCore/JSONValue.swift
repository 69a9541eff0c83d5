/// A parsed JSON document, kept as data so that validation can tell "missing" from "wrong type"
/// and name the offending field.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .number(String(value))
        } else {
            // Numbers are never money here; keeping their text is enough for error messages.
            self = .number(String(describing: try container.decode(Double.self)))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let text):
            if let integer = Int64(text) { try container.encode(integer) } else { try container.encode(text) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// Reads typed fields out of a JSON object, throwing `invalid_parameter` errors that name the
/// field by its dotted path (`payment_method.aplus.flow`).
public struct FieldReader: Sendable {
    public let path: String
    public let fields: [String: JSONValue]

    public init(_ fields: [String: JSONValue], path: String = "") {
        self.fields = fields
        self.path = path
    }

    public func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool {
        if case .none = fields[key] { return false }
        if case .some(.null) = fields[key] { return false }
        return true
    }

    /// An optional string; absent, `null` and `""` all count as absent (seed 000: `order_id` is
    /// "required if merchant_order_id is empty").
    public func optionalString(_ key: String, maxLength: Int? = nil) throws(GatewayError) -> String? {
        let value = try presentString(key, maxLength: maxLength)
        return value?.isEmpty == true ? nil : value
    }

    public func string(_ key: String, maxLength: Int? = nil) throws(GatewayError) -> String {
        guard let value = try presentString(key, maxLength: maxLength) else {
            throw .invalidParameter(name(key), "is required")
        }
        guard !value.isEmpty else { throw .invalidParameter(name(key), "must not be empty") }
        return value
    }

    /// The string as sent (possibly empty), nil when absent or `null`.
    func presentString(_ key: String, maxLength: Int?) throws(GatewayError) -> String? {
        switch fields[key] {
        case .none, .some(.null):
            return nil
        case .some(.string(let value)):
            // Limits count UTF-8 bytes: a character may carry any number of combining marks.
            if let maxLength, value.utf8.count > maxLength {
                throw .invalidParameter(name(key), "must be at most \(maxLength) bytes in UTF-8")
            }
            if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw .invalidParameter(name(key), "must not contain control characters")
            }
            return value
        case .some(let other):
            throw .invalidParameter(name(key), "must be a string, got \(other.typeName)")
        }
    }

    public func optionalInteger(_ key: String) throws(GatewayError) -> Int64? {
        switch fields[key] {
        case .none, .some(.null):
            return nil
        case .some(.number(let text)):
            guard let value = Int64(text) else { throw .invalidParameter(name(key), "must be a whole number") }
            return value
        case .some(let other):
            throw .invalidParameter(name(key), "must be an integer, got \(other.typeName)")
        }
    }

    public func object(_ key: String) throws(GatewayError) -> FieldReader {
        switch fields[key] {
        case .none, .some(.null):
            throw .invalidParameter(name(key), "is required")
        case .some(.object(let value)):
            return FieldReader(value, path: name(key))
        case .some(let other):
            throw .invalidParameter(name(key), "must be an object, got \(other.typeName)")
        }
    }

    /// A string that must be one of `allowed`; `defaultValue` when absent.
    public func choice(_ key: String, in allowed: [String], default defaultValue: String? = nil) throws(GatewayError) -> String? {
        guard let value = try optionalString(key) else { return defaultValue }
        // Compared on the bytes (String equality is canonical equivalence); the allowed spelling is returned.
        guard let match = allowed.first(where: { $0.utf8.elementsEqual(value.utf8) }) else {
            throw .invalidParameter(name(key), "must be one of \(allowed.joined(separator: ", "))")
        }
        return match
    }
}

/// Limits checked on a request body's bytes before it is decoded, so a hostile document costs
/// at most one linear scan.
public enum JSONLimits {
    public static let maximumDepth = 32

    /// The deepest nesting of arrays and objects in `bytes`, counted outside strings. Not a validator:
    /// malformed documents are left for the decoder to refuse.
    public static func depth<Bytes: Sequence>(of bytes: Bytes) -> Int where Bytes.Element == UInt8 {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
