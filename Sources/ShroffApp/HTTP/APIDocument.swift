import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffAPIDocument
import ShroffCore
import ShroffObservability

/// The OpenAPI 3.1 document of the merchant API (`openapi/openapi.json`, the single source of
/// truth, compiled into the binary; schemathesis tests the server against it in CI), served as YAML
/// and JSON, and rendered as a self-contained HTML reference at `/docs`.
struct APIDocument: Sendable {
    let json: Data
    let document: JSONValue

    static func load() throws -> APIDocument {
        let data = Data(OpenAPIDocument.json)
        return APIDocument(json: data, document: try JSONDecoder().decode(JSONValue.self, from: data))
    }

    /// Upper-case HTTP methods of every documented path.
    var methodsByPath: [String: [String]] {
        var methods: [String: [String]] = [:]
        for (path, item) in document.objectValue?["paths"]?.objectValue ?? [:] {
            methods[path] = (item.objectValue?.keys.map { $0.uppercased() } ?? []).sorted()
        }
        return methods
    }

    func register(on router: Router<AppRequestContext>) {
        let yaml = ByteBuffer(string: YAMLWriter.write(document))
        let json = ByteBuffer(data: self.json)
        let html = ByteBuffer(string: ReferencePage.render(document))
        router.get("mch-api/openapi.yaml") { _, _ in Self.response(yaml, type: "application/yaml; charset=utf-8") }
        router.get("mch-api/openapi.json") { _, _ in Self.response(json, type: "application/json; charset=utf-8") }
        router.get("docs") { _, _ in Self.response(html, type: "text/html; charset=utf-8") }
    }

    static func response(_ body: ByteBuffer, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

/// Writes a JSON tree as block-style YAML (every string double-quoted, so nothing is re-typed).
enum YAMLWriter {
    static func write(_ value: JSONValue) -> String {
        var lines: [String] = []
        emit(value, indent: 0, into: &lines, asItem: false)
        return lines.joined(separator: "\n") + "\n"
    }

    static func scalar(_ value: JSONValue) -> String? {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let text): text
        case .string(let text): quote(text)
        case .array(let items) where items.isEmpty: "[]"
        case .object(let fields) where fields.isEmpty: "{}"
        default: nil
        }
    }

    /// A YAML double-quoted scalar: JSON's string escapes are valid YAML.
    static func quote(_ text: String) -> String { JSONText.string(text) }

    static func emit(_ value: JSONValue, indent: Int, into lines: inout [String], asItem: Bool) {
        let pad = String(repeating: "  ", count: indent)
        switch value {
        case .object(let fields) where !fields.isEmpty:
            for (index, key) in ordered(fields.keys).enumerated() {
                let prefix = asItem && index == 0 ? String(repeating: "  ", count: max(indent - 1, 0)) + "- " : pad
                let child = fields[key]!
                if let text = scalar(child) {
                    lines.append("\(prefix)\(quote(key)): \(text)")
                } else {
                    lines.append("\(prefix)\(quote(key)):")
                    emit(child, indent: indent + 1, into: &lines, asItem: false)
                }
            }
        case .array(let items) where !items.isEmpty:
            for item in items {
                if let text = scalar(item) {
                    lines.append("\(pad)- \(text)")
                } else if case .object = item {
                    emit(item, indent: indent + 1, into: &lines, asItem: true)
                } else {
                    lines.append("\(pad)-")
                    emit(item, indent: indent + 1, into: &lines, asItem: false)
                }
            }
        default:
            lines.append(pad + (scalar(value) ?? "null"))
        }
    }

    /// Keeps the document's conventional order for the top level, alphabetical elsewhere.
    static func ordered(_ keys: Dictionary<String, JSONValue>.Keys) -> [String] {
        let first = ["openapi", "info", "servers", "security", "tags", "paths", "webhooks", "components"]
        return first.filter(keys.contains) + keys.filter { !first.contains($0) }.sorted()
    }
}

/// A readable HTML reference of the document: operations with their request fields and answers,
/// then the webhook events with their headers and `data` fields.
enum ReferencePage {
    static func render(_ document: JSONValue) -> String {
        guard case .object(let root) = document else { return "" }
        let info = root["info"]?.objectValue ?? [:]
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(info["title"]?.stringValue ?? "API")) reference</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
            code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f6f8fa;padding:.6rem;overflow:auto}
            .op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
            .method{font-weight:700;color:#fff;background:#1677ff;border-radius:4px;padding:.1rem .4rem;margin-right:.4rem}
            table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;text-align:left;padding:.25rem .4rem;vertical-align:top}
            nav a{margin-right:.8rem}
            </style></head><body>
            <h1>\(escape(info["title"]?.stringValue ?? "API")) <small>\(escape(info["version"]?.stringValue ?? ""))</small></h1>
            <p>\(escape(info["description"]?.stringValue ?? ""))</p>
            <p>Machine-readable: <a href="/mch-api/openapi.yaml">openapi.yaml</a> · <a href="/mch-api/openapi.json">openapi.json</a>\(root["webhooks"] == nil ? "" : ##" · <a href="#webhooks">webhook events</a>"##)</p>
            """
        let schemas = root["components"]?.objectValue?["schemas"]?.objectValue ?? [:]
        let paths = root["paths"]?.objectValue ?? [:]
        for path in paths.keys.sorted() {
            guard let operations = paths[path]?.objectValue else { continue }
            for method in operations.keys.sorted() {
                guard let operation = operations[method]?.objectValue else { continue }
                html += "<div class=\"op\" id=\"\(escape(operation["operationId"]?.stringValue ?? path))\">"
                html += "<h2><span class=\"method\">\(method.uppercased())</span><code>\(escape(path))</code></h2>"
                html += "<p><b>\(escape(operation["summary"]?.stringValue ?? ""))</b> \(escape(operation["description"]?.stringValue ?? ""))</p>"
                if let body = operation["requestBody"]?.objectValue?["content"]?.objectValue?["application/json"]?.objectValue?["schema"] {
                    html += "<h3>Request body</h3>" + fields(body, schemas: schemas)
                }
                if let parameters = operation["parameters"]?.arrayValue, !parameters.isEmpty {
                    html += "<h3>Headers</h3><table>"
                    for parameter in parameters.compactMap(\.objectValue) {
                        html += "<tr><td><code>\(escape(parameter["name"]?.stringValue ?? ""))</code></td><td>required</td></tr>"
                    }
                    html += "</table>"
                }
                if let responses = operation["responses"]?.objectValue {
                    html += "<h3>Answers</h3><table>"
                    for status in responses.keys.sorted() {
                        html += "<tr><td>\(escape(status))</td><td>\(escape(responses[status]?.objectValue?["description"]?.stringValue ?? ""))</td></tr>"
                    }
                    html += "</table>"
                    if let ok = responses["200"]?.objectValue?["content"]?.objectValue?["application/json"]?.objectValue?["schema"],
                       let data = dataSchema(ok) {
                        html += "<h3><code>data</code> of a success</h3>" + fields(data, schemas: schemas)
                    }
                }
                html += "</div>"
            }
        }
        return html + webhooks(root, schemas: schemas) + "</body></html>"
    }

    /// The `webhooks` section: a list of the events, then each one's headers and `data` fields.
    static func webhooks(_ root: [String: JSONValue], schemas: [String: JSONValue]) -> String {
        let events = root["webhooks"]?.objectValue ?? [:]
        guard !events.isEmpty else { return "" }
        let parameters = root["components"]?.objectValue?["parameters"]?.objectValue ?? [:]
        let names = events.keys.sorted()
        var html = "<h2 id=\"webhooks\">Webhooks</h2><p>Events the gateway POSTs to your notify URL:</p><ul>"
        for name in names {
            let summary = events[name]?.objectValue?["post"]?.objectValue?["summary"]?.stringValue ?? ""
            html += "<li><a href=\"#webhook-\(escape(name))\"><code>\(escape(name))</code></a> \(escape(summary))</li>"
        }
        html += "</ul>"
        for name in names {
            guard let operation = events[name]?.objectValue?["post"]?.objectValue else { continue }
            html += "<div class=\"op\" id=\"webhook-\(escape(name))\">"
            html += "<h2><span class=\"method\">POST</span><code>\(escape(name))</code></h2>"
            html += "<p><b>\(escape(operation["summary"]?.stringValue ?? ""))</b> \(escape(operation["description"]?.stringValue ?? ""))</p>"
            if let headers = operation["parameters"]?.arrayValue, !headers.isEmpty {
                html += "<h3>Headers</h3><table>"
                for header in headers {
                    let (_, parameter) = resolve(header, parameters)
                    html += "<tr><td><code>\(escape(parameter["name"]?.stringValue ?? ""))</code></td>"
                    html += "<td>\(escape(parameter["description"]?.stringValue ?? ""))</td></tr>"
                }
                html += "</table>"
            }
            if let body = operation["requestBody"]?.objectValue?["content"]?.objectValue?["application/json"]?.objectValue?["schema"],
               let data = resolve(body, schemas).schema["properties"]?.objectValue?["data"] {
                html += "<h3><code>data</code></h3>" + fields(data, schemas: schemas)
            }
            html += "</div>"
        }
        return html
    }

    static func dataSchema(_ schema: JSONValue) -> JSONValue? {
        for part in schema.objectValue?["allOf"]?.arrayValue ?? [] {
            if let data = part.objectValue?["properties"]?.objectValue?["data"] { return data }
        }
        return nil
    }

    static func resolve(_ schema: JSONValue, _ schemas: [String: JSONValue]) -> (name: String?, schema: [String: JSONValue]) {
        if let reference = schema.objectValue?["$ref"]?.stringValue, let name = reference.split(separator: "/").last {
            return (String(name), schemas[String(name)]?.objectValue ?? [:])
        }
        return (nil, schema.objectValue ?? [:])
    }

    static func fields(_ schema: JSONValue, schemas: [String: JSONValue], depth: Int = 0) -> String {
        let (_, object) = resolve(schema, schemas)
        guard let properties = object["properties"]?.objectValue, depth < 3 else { return "" }
        let required = Set((object["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        var html = "<table>"
        for name in properties.keys.sorted() {
            let (typeName, property) = resolve(properties[name]!, schemas)
            var summary = typeName ?? describe(property)
            if let values = property["enum"]?.arrayValue {
                summary += " — one of " + values.compactMap { $0.stringValue ?? $0.numberText }.joined(separator: ", ")
            }
            var cell = escape(summary)
            if let text = property["description"]?.stringValue { cell += "<br>" + escape(text) }
            if property["properties"] != nil, typeName == nil { cell += fields(properties[name]!, schemas: schemas, depth: depth + 1) }
            html += "<tr><td><code>\(escape(name))</code>\(required.contains(name) ? " <b>required</b>" : "")</td><td>\(cell)</td></tr>"
        }
        return html + "</table>"
    }

    static func describe(_ property: [String: JSONValue]) -> String {
        if let constant = property["const"] { return "always \(constant.stringValue ?? constant.numberText ?? "")" }
        var parts: [String] = []
        if let type = property["type"]?.stringValue { parts.append(type) }
        if let types = property["type"]?.arrayValue { parts.append(types.compactMap(\.stringValue).joined(separator: " or ")) }
        if let format = property["format"]?.stringValue { parts.append(format) }
        if let maximum = property["maxLength"]?.numberText { parts.append("at most \(maximum) chars") }
        if let minimum = property["minimum"]?.numberText, let maximum = property["maximum"]?.numberText { parts.append("\(minimum)..\(maximum)") }
        return parts.isEmpty ? "value" : parts.joined(separator: ", ")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
    var stringValue: String? { if case .string(let value) = self { value } else { nil } }
    var numberText: String? { if case .number(let value) = self { value } else { nil } }
}
