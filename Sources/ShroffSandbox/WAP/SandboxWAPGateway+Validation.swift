import Foundation

/// Checks of single request parameters; each refusal names the parameter at fault.
extension SandboxWAPGateway {
    static func required(_ parameters: [String: String], _ name: String, maxLength: Int = 1024) throws -> String {
        guard let value = parameters[name], !value.isEmpty else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter is required.")
        }
        guard value.count <= maxLength else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter is longer than \(maxLength) characters.")
        }
        return value
    }

    static func optional(_ parameters: [String: String], _ name: String, maxLength: Int) throws -> String? {
        guard let value = parameters[name], !value.isEmpty else { return nil }
        guard value.count <= maxLength else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter is longer than \(maxLength) characters.")
        }
        return value
    }

    static func webURL(_ parameters: [String: String], _ name: String, required isRequired: Bool) throws -> String? {
        let value = isRequired ? try required(parameters, name) : try optional(parameters, name, maxLength: 1024)
        guard let value else { return nil }
        guard let url = URLComponents(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              !(url.host ?? "").isEmpty else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The parameter must be an http(s) URL.")
        }
        return value
    }

    /// Merchant order numbers: letters, digits, `_`, `-`, `.`; at most 64.
    static func orderNumber(_ parameters: [String: String], _ name: String) throws -> String {
        let value = try required(parameters, name, maxLength: 64)
        let allowed = value.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "_-.".unicodeScalars.contains($0) }
        guard allowed else { throw Failure("ILLEGAL_ARGUMENT", parameter: name, "Use letters, digits, '_', '-' and '.'.") }
        return value
    }

    static func amount(_ parameters: [String: String], _ name: String, currency: String) throws -> Int64 {
        let text = try required(parameters, name, maxLength: 20)
        guard let value = WAPMoney.minorUnits(text, currency: currency), value > 0 else {
            let places = WAPMoney.decimals[currency] ?? 2
            throw Failure("ILLEGAL_ARGUMENT", parameter: name,
                          "The amount must be a positive number in major units with at most \(places) decimals for \(currency).")
        }
        return value
    }

    static func currency(_ parameters: [String: String], _ name: String = "currency") throws -> String {
        let value = try required(parameters, name, maxLength: 3)
        guard WAPMoney.decimals[value] != nil else {
            throw Failure("ILLEGAL_ARGUMENT", parameter: name, "The currency is not supported.")
        }
        return value
    }
}
