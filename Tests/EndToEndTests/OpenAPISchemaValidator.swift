import Foundation
import ShroffCore

/// Checks webhook deliveries against the OpenAPI document's `webhooks` section, with a JSON Schema
/// validator for the subset the document's webhook schemas use: `$ref` into the document, `type`
/// (one name or a list, so `["string", "null"]` is nullable), `enum`, `required`, `properties`,
/// `additionalProperties` (`false` or a schema), `pattern`, `maxLength`, and the formats
/// `date-time` (RFC 3339) and `int64`. Any other constraining keyword is reported as unsupported
/// rather than skipped, so a schema this validator cannot check never passes unchecked.
struct OpenAPISchemaValidator {
    let document: JSONValue

    /// Keywords that describe a value without constraining it.
    static let annotations: Set<String> = ["description", "examples", "title"]

    /// What is wrong with one delivery (its body and its request headers, names in lower case)
    /// according to the document's `webhooks` entry for the body's `notify_type`; empty when nothing is.
    func webhookErrors(body: Data, headers: [String: String]) -> [String] {
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: body) else { return ["the body is not JSON"] }
        guard case .object(let fields) = payload, case .string(let kind)? = fields["notify_type"] else {
            return ["the body has no notify_type string"]
        }
        guard case .object(let operation)? = value(at: ["webhooks", kind, "post"]) else {
            return ["the document has no webhooks entry for \(kind)"]
        }
        var errors: [String] = []
        if case .array(let parameters)? = operation["parameters"] {
            for reference in parameters {
                guard case .object(let parameter)? = resolved(reference), parameter["in"] == .string("header"),
                      case .string(let name)? = parameter["name"], let schema = parameter["schema"] else {
                    errors.append("a parameter of \(kind) is not a header with a name and a schema")
                    continue
                }
                if let sent = headers[name.lowercased()] {
                    errors += self.errors(in: .string(sent), against: schema, at: "header \(name)")
                } else if parameter["required"] == .bool(true) {
                    errors.append("header \(name): required, missing")
                }
            }
        }
        guard case .object(let content)? = value(at: ["webhooks", kind, "post", "requestBody", "content"]),
              let mediaType = content.keys.first(where: { headers["content-type"]?.hasPrefix($0) == true }),
              case .object(let media)? = content[mediaType], let schema = media["schema"] else {
            return errors + ["header content-type: \(headers["content-type"] ?? "missing") is none of the documented body types"]
        }
        return errors + self.errors(in: payload, against: schema)
    }

    /// What is wrong with `value` according to `schema`, each message naming the place (`$.data.uid`).
    func errors(in value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let keywords) = schema else { return ["\(path): the schema is not an object"] }
        if let reference = keywords["$ref"] {
            guard let target = resolved(schema) else { return ["\(path): $ref \(Self.text(reference)) does not resolve"] }
            return errors(in: value, against: target, at: path)
        }
        var errors: [String] = []
        for keyword in keywords.keys.sorted() {
            let argument = keywords[keyword]!
            switch keyword {
            case "type":
                let names: [String]
                switch argument {
                case .string(let name): names = [name]
                case .array(let items): names = items.compactMap { if case .string(let name) = $0 { name } else { nil } }
                default: names = []
                }
                if !names.contains(where: { Self.value(value, isOfType: $0) }) {
                    errors.append("\(path): a \(value.typeName), not \(names.joined(separator: " or "))")
                }
            case "enum":
                if case .array(let allowed) = argument, !allowed.contains(value) {
                    errors.append("\(path): \(Self.text(value)) is not one of \(allowed.map(Self.text).joined(separator: ", "))")
                }
            case "required":
                if case .object(let fields) = value, case .array(let names) = argument {
                    for case .string(let name) in names where fields[name] == nil {
                        errors.append("\(path).\(name): required, missing")
                    }
                }
            case "properties":
                if case .object(let fields) = value, case .object(let properties) = argument {
                    for name in fields.keys.sorted() {
                        if let property = properties[name] { errors += self.errors(in: fields[name]!, against: property, at: "\(path).\(name)") }
                    }
                }
            case "additionalProperties":
                guard case .object(let fields) = value else { continue }
                var declared: Set<String> = []
                if case .object(let properties)? = keywords["properties"] { declared = Set(properties.keys) }
                for name in fields.keys.sorted() where !declared.contains(name) {
                    switch argument {
                    case .bool(false): errors.append("\(path).\(name): not a documented field")
                    case .bool(true): break
                    default: errors += self.errors(in: fields[name]!, against: argument, at: "\(path).\(name)")
                    }
                }
            case "pattern":
                if case .string(let text) = value, case .string(let pattern) = argument {
                    guard let expression = try? NSRegularExpression(pattern: pattern) else {
                        errors.append("\(path): the pattern \(pattern) does not compile"); continue
                    }
                    if expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                        errors.append("\(path): \(Self.text(value)) does not match \(pattern)")
                    }
                }
            case "maxLength":
                if case .string(let text) = value, case .number(let limit) = argument, let maximum = Int(limit), text.unicodeScalars.count > maximum {
                    errors.append("\(path): longer than \(maximum) characters")
                }
            case "format":
                switch argument {
                case .string("date-time"):
                    if case .string(let text) = value, !Self.isRFC3339(text) { errors.append("\(path): \(Self.text(value)) is not an RFC 3339 date-time") }
                case .string("int64"):
                    if case .number(let text) = value, Int64(text) == nil { errors.append("\(path): \(text) is not a 64-bit integer") }
                default:
                    errors.append("\(path): the validator does not support format \(Self.text(argument))")
                }
            default:
                if !Self.annotations.contains(keyword) { errors.append("\(path): the validator does not support the keyword \(keyword)") }
            }
        }
        return errors
    }

    /// The target of a `{"$ref": "#/…"}` object (a JSON pointer into the document); other values unchanged.
    func resolved(_ schema: JSONValue) -> JSONValue? {
        guard case .object(let keywords) = schema, let reference = keywords["$ref"] else { return schema }
        guard case .string(let pointer) = reference, pointer.hasPrefix("#/") else { return nil }
        let tokens = pointer.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
        return value(at: tokens)
    }

    func value(at keys: [String]) -> JSONValue? {
        var current = document
        for key in keys {
            guard case .object(let fields) = current, let next = fields[key] else { return nil }
            current = next
        }
        return current
    }

    static func value(_ value: JSONValue, isOfType name: String) -> Bool {
        switch (name, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .number(let text)): !text.contains(where: { ".eE".contains($0) })
        default: false
        }
    }

    /// RFC 3339 section 5.6 `date-time`, with a real calendar date and time of day.
    static func isRFC3339(_ text: String) -> Bool {
        let shape = #"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"#
        guard text.range(of: shape, options: .regularExpression) != nil else { return false }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text.uppercased()) != nil
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): "\"\(text)\""
        case .number(let text): text
        case .bool(let flag): String(flag)
        case .null: "null"
        case .array, .object: value.typeName
        }
    }
}
