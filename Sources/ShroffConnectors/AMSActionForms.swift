import Foundation
import ShroffCore

/// Turns the pay answer's action forms (seed 002, providers.md) into the merchant's next action,
/// keeping what the provider said about how: the HTTP method and fields of a redirect, the type and
/// display hint of a code.
enum AMSActionForms {
    static func redirect(_ form: AMSPayResponse.RedirectActionForm) throws -> NextAction {
        let method = form.method?.uppercased() ?? "GET"
        guard method == "POST" else { return NextAction(type: .redirect, url: form.redirectUrl, method: method == "GET" ? nil : method) }
        guard let fields = form.parameters.map(postFields) ?? [:] else {
            throw ProviderUnavailable(reason: "pay answered a POST redirect whose parameters cannot be read", isTransportFailure: false)
        }
        return NextAction(type: .redirect, url: form.redirectUrl, method: "POST", formFields: fields)
    }

    /// A QR code when the provider offers one, else its first code (a barcode), with its hints.
    static func code(_ form: AMSPayResponse.OrderCodeForm) -> NextAction? {
        guard let code = form.codeDetails.first(where: { $0.codeValueType == "QRCODE" }) ?? form.codeDetails.first else { return nil }
        return NextAction(type: .renderQRCode, url: code.codeValue, codeType: code.codeValueType, displayType: code.displayType)
    }

    /// The POST fields: a JSON object of strings, or `k=v&…` form encoding; nil when neither.
    static func postFields(_ text: String) -> [String: String]? {
        if let object = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) { return object }
        return WAPForm.parse(text)
    }
}
