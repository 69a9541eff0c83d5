import Foundation
import Testing
@testable import ShroffCore

/// Request bodies of the seeds, parsed the way the HTTP layer parses them (JSONDecoder into JSONValue).
enum SeedBody: String, Sendable, CustomTestStringConvertible {
    /// Seed 000's example request: aplus cashier, CONNECT_WALLET, WEB.
    case aplusCashier
    /// Seed 001's example request: alipayhk csb_qrcode, ALIPAYCN.
    case alipayHKQRCode
    /// Seed 003's request as its table defines it (the flow object under `alipayhk`), with a return_url
    /// on the H5 domain of seed 003's example (`yourwebsite.com`).
    case alipayHKMobileWeb

    var testDescription: String { rawValue }

    var json: String {
        switch self {
        case .aplusCashier:
            """
            {
            "amount": "1",
            "currency": "USD",
            "merchant_order_id": "P9297895081903",
            "payment_method": {
            "type": "aplus",
            "aplus": {
            "flow": "cashier",
            "presentment_mode": "UNIFIED",
            "payment_method": "CONNECT_WALLET",
            "terminal_type": "WEB"
            }
            },
            "description": "Online Payment",
            "notify_url": "https://put_your_site_here/example_url"
            }
            """
        case .alipayHKQRCode:
            """
            {
            "amount": "1",
            "currency": "HKD",
            "merchant_order_id": "P9297895081903",
            "payment_method": {
            "type": "alipayhk",
            "alipayhk": {
            "flow": "csb_qrcode",
            "payment_method": "ALIPAYCN"
            }
            },
            "description": "Instore Payment",
            "notify_url": "https://put_your_site_here/example_url"
            }
            """
        case .alipayHKMobileWeb:
            """
            {
            "amount": "1",
            "currency": "HKD",
            "merchant_order_id": "P9297895081903",
            "payment_method": {
            "type": "alipayhk",
            "alipayhk": {
            "flow": "mobile_web",
            "payment_method": "ALIPAYCN"
            }
            },
            "description": "App Payment",
            "notify_url": "https://put_your_site_here/example_url",
            "return_url": "https://shop.yourwebsite.com/orders?id=123456"
            }
            """
        }
    }

    var body: [String: JSONValue] { parseBody(json) }
}

/// The H5 domain registered in seed 003's example.
let seed003H5Domain = "yourwebsite.com"

func parseBody(_ json: String) -> [String: JSONValue] {
    do {
        return try JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8))
    } catch {
        fatalError("test body is not a JSON object: \(error)\n\(json)")
    }
}

/// One change to a request body, at a dotted path (`payment_method.aplus.flow`).
enum Edit: Sendable, CustomStringConvertible {
    case set(String, JSONValue)
    case remove(String)

    var description: String {
        switch self {
        case .set(let path, let value): "\(path)=\(value)"
        case .remove(let path): "-\(path)"
        }
    }
}

/// Shorthands for the edits' values.
extension JSONValue {
    static func s(_ text: String) -> JSONValue { .string(text) }
    static func n(_ text: String) -> JSONValue { .number(text) }
}

func applying(_ edits: [Edit], to body: [String: JSONValue]) -> [String: JSONValue] {
    var body = body
    for edit in edits {
        switch edit {
        case .set(let path, let value):
            body = setting(path.split(separator: ".").map(String.init), to: value, in: body)
        case .remove(let path):
            body = setting(path.split(separator: ".").map(String.init), to: nil, in: body)
        }
    }
    return body
}

private func setting(_ path: [String], to value: JSONValue?, in object: [String: JSONValue]) -> [String: JSONValue] {
    var object = object
    guard let key = path.first else { return object }
    if path.count == 1 {
        object[key] = value
    } else {
        guard case .object(let inner)? = object[key] else {
            fatalError("test edit goes through \(key), which is not an object")
        }
        object[key] = .object(setting(Array(path.dropFirst()), to: value, in: inner))
    }
    return object
}

/// Validates and returns the error, or nil when the body is accepted.
func validationError(_ body: [String: JSONValue], h5Domain: String? = seed003H5Domain) -> GatewayError? {
    do {
        _ = try CreateIntentRequest.validate(body, h5Domain: h5Domain)
        return nil
    } catch {
        return error
    }
}
