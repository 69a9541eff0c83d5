import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ShroffCore

/// The one HTML-escaping function of the consoles: every value a page shows goes through it.
public enum HTML {
    public static func escape(_ text: String) -> String {
        // By scalar, not by Character: a quote followed by a combining mark is one Character that is
        // not equal to `"`, yet the browser still ends the attribute at its quote.
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}

/// What the consoles' pages are made of: the layout, the stylesheet, responses, forms.
enum PageKit {
    struct NavItem {
        let label: String
        let path: String
    }

    /// A whole page. `csrf` is the session's token for the sign-out form; nil on pages without a session.
    static func page(
        status: HTTPResponse.Status = .ok, title: String, heading: String? = nil, nav: [NavItem] = [], current: String? = nil,
        csrf: String? = nil, signOutPath: String? = nil, banner: String? = nil, body: String
    ) -> Response {
        let links = nav.map { item in
            "<a href=\"\(HTML.escape(item.path))\"\(item.path == current ? " aria-current=\"page\"" : "")>\(HTML.escape(item.label))</a>"
        }.joined(separator: " ")
        var signOut = ""
        if let csrf, let signOutPath {
            signOut = "<form method=\"post\" action=\"\(HTML.escape(signOutPath))\" class=\"inline\">\(csrfField(csrf))<button>Sign out</button></form>"
        }
        let document = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · Shroff</title><link rel="stylesheet" href="\(stylesheetPath)"></head><body>
            \(banner.map { "<p class=\"banner\" role=\"status\"><strong>\(HTML.escape($0))</strong></p>" } ?? "")
            <header><nav>\(links)</nav>\(signOut)</header>
            <main><h1>\(HTML.escape(heading ?? title))</h1>
            \(body)
            </main></body></html>
            """
        return html(document, status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Nothing from elsewhere, no scripts, no framing; pages are never cached (they show account data).
    static var securityHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        // same-origin, not no-referrer: with no-referrer a browser posts forms with "Origin: null".
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return headers
    }

    /// 303 See Other: after a POST the browser GETs `location`.
    static func redirect(_ location: String, setCookies: [String] = []) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        for cookie in setCookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A query value with everything but ASCII letters and digits percent-encoded (UTF-8), so a
    /// link or a `Location` header carries only ASCII.
    static func queryValue(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                encoded.append(Character(UnicodeScalar(byte)))
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    static func csrfField(_ token: String) -> String {
        "<input type=\"hidden\" name=\"\(csrfFieldName)\" value=\"\(HTML.escape(token))\">"
    }

    static let csrfFieldName = "csrf_token"

    /// A POST form with the CSRF field and one button (`extra` holds further fields).
    static func actionForm(_ path: String, csrf: String, label: String, extra: String = "", danger: Bool = false) -> String {
        "<form method=\"post\" action=\"\(HTML.escape(path))\" class=\"inline\">\(csrfField(csrf))\(extra)<button\(danger ? " class=\"danger\"" : "")>\(HTML.escape(label))</button></form>"
    }

    /// A definition list of label/value pairs; values are escaped here.
    static func fields(_ pairs: [(String, String?)]) -> String {
        "<dl>" + pairs.compactMap { label, value in
            value.map { "<dt>\(HTML.escape(label))</dt><dd>\(HTML.escape($0))</dd>" }
        }.joined() + "</dl>"
    }

    /// A table; `rows` are already-escaped cells.
    static func table(headers: [String], rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\">\(HTML.escape(empty))</p>" }
        let head = headers.map { "<th scope=\"col\">\(HTML.escape($0))</th>" }.joined()
        let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<div class=\"scroll\"><table><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>"
    }

    /// The links under a keyset-paged list, newest first: back to the newest page unless this is it,
    /// and to the older page after `older` (the cursor of this page's last row; nil on the last page).
    /// The filters named in `kept` stay in the link.
    static func pager(path: String, query: FormFields, kept: [String], older: String?, isFirst: Bool, noun: String) -> String {
        var links = isFirst ? "" : "<p><a href=\"\(HTML.escape(path))\">← Newest \(HTML.escape(noun))</a></p>"
        if let older {
            var values = query.values.filter { kept.contains($0.key) && !$0.value.isEmpty }
            values["before"] = older
            let link = values.sorted { $0.key < $1.key }.map { "\($0.key)=\(queryValue($0.value))" }.joined(separator: "&")
            links += "<p><a href=\"\(HTML.escape(path))?\(HTML.escape(link))\" rel=\"next\">Older \(HTML.escape(noun)) →</a></p>"
        }
        return links
    }

    /// A select's options: "any" (blank), then each of `all`, `chosen` selected.
    static func options(_ all: [String], chosen: String?) -> String {
        "<option value=\"\">any</option>" + all.map {
            "<option\($0 == chosen ? " selected" : "")>\(HTML.escape($0))</option>"
        }.joined()
    }

    static func money(_ amount: Money) -> String { "\(amount.decimalString) \(amount.currency.code)" }

    /// Minor units of a currency code as major units with the code.
    static func money(minorUnits: Int64, currency: String) -> String {
        guard let code = Currency(code: currency) else { return "\(minorUnits) \(currency) (minor units)" }
        return money(Money(minorUnits: minorUnits, currency: code))
    }

    static let stylesheetPath = "/dashboard/assets/style.css"

    static func stylesheet() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/css; charset=utf-8"
        headers[.cacheControl] = "max-age=3600"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: css)))
    }

    static let css = """
        *{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.4}
        header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem;padding:.6rem 1rem;border-bottom:2px solid #333}
        nav a{margin-right:1rem;font-weight:600}nav a[aria-current=page]{text-decoration:underline 3px}
        main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;overflow-wrap:anywhere}h2{font-size:1.1rem;margin-top:1.6rem}
        .banner{margin:0;padding:.5rem 1rem;background:#fff3cd;border-bottom:2px dashed #8a6d00}
        .notice{border-left:4px solid #333;padding:.4rem .8rem;background:#f3f3f3}.error{border-left:4px solid #b00020;padding:.4rem .8rem;background:#fde7e9}
        .muted{color:#555}.inline{display:inline-block;margin:0 .3rem .3rem 0}
        table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ccc;vertical-align:top}
        th{border-bottom:2px solid #333}.scroll{overflow-x:auto}td.num{text-align:right;white-space:nowrap}
        dl{display:grid;grid-template-columns:minmax(9rem,auto) 1fr;gap:.25rem 1rem}dt{color:#444}dd{margin:0;word-break:break-word}
        form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end;margin-bottom:1rem}
        label{display:flex;flex-direction:column;font-size:.85rem;gap:.15rem;max-width:100%}input,select,button{font:inherit;padding:.35rem .5rem;max-width:100%}
        button{border:2px solid #333;background:#f5f5f5;border-radius:4px;cursor:pointer}button.danger{border-color:#b00020}
        .status{font-weight:700;letter-spacing:.03em}ol.timeline{list-style:none;padding:0;border-left:3px solid #333;margin-left:.4rem}
        ol.timeline li{padding:.2rem 0 .6rem 1rem;position:relative}ol.timeline li::before{content:"";position:absolute;left:-.5rem;top:.55rem;width:.7rem;height:.7rem;background:#333;border-radius:50%}
        ol.timeline time{font-family:ui-monospace,monospace;font-size:.85rem;display:block;color:#444}
        figure.qr img{width:100%;max-width:16rem;image-rendering:pixelated;border:1px solid #ccc}
        code,.mono{font-family:ui-monospace,monospace;word-break:break-all}pre{white-space:pre-wrap;background:#f6f6f6;border:1px solid #ccc;padding:.5rem;max-width:100%;overflow-x:auto}
        svg.chart{width:100%;max-width:30rem}svg text{font-family:system-ui,sans-serif;font-size:12px}
        @media (max-width:40rem){dl{grid-template-columns:1fr}td,th{padding:.3rem}}
        @media print{header,form,.banner,nav{display:none}main{max-width:none}}
        """
}

/// An `application/x-www-form-urlencoded` body or query, read field by field with messages that
/// name the field.
struct FormFields {
    let values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    init(encoded text: String) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2, values[parts[0]] == nil { values[parts[0]] = parts[1] }
        }
        self.values = values
    }

    /// The form a POST sent; at most 16 KiB (nothing the consoles ask needs more). A form posted
    /// from another site (its `Origin` is not this host) is refused, the sign-in forms included,
    /// which have no session yet to hold a CSRF token.
    static func read(_ request: Request) async throws -> FormFields {
        if let origin = request.headers[.origin], !sameOrigin(origin, request) {
            throw ConsoleRefusal.forbidden("This form was sent from another site (Origin \(origin.prefix(100))).")
        }
        let contentType = request.headers[.contentType] ?? ""
        guard contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            throw GatewayError(.invalidRequest, "body: send the page's form (application/x-www-form-urlencoded)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 16 * 1024)
        } catch {
            throw GatewayError(.invalidRequest, "body: larger than the 16 KiB a form may send")
        }
        return FormFields(encoded: String(buffer: buffer))
    }

    /// Whether `origin` (scheme://host[:port]) names the host the request was sent to (as the
    /// browser saw it: a proxy's `X-Forwarded-Host`, else `Host`).
    static func sameOrigin(_ origin: String, _ request: Request) -> Bool {
        guard let components = URLComponents(string: origin), let originHost = components.host?.lowercased() else { return false }
        let seen = request.headers[HTTPField.Name("X-Forwarded-Host")!]?.split(separator: ",").first.map(String.init)
            ?? request.head.authority ?? request.headers[HTTPField.Name("Host")!] ?? ""
        let host = seen.trimmingCharacters(in: .whitespaces).lowercased()
        let originAuthority = components.port.map { "\(originHost):\($0)" } ?? originHost
        return host == originAuthority
    }

    static func query(_ request: Request) -> FormFields { FormFields(encoded: request.uri.query ?? "") }

    /// A trimmed value, nil when absent or blank.
    func optional(_ name: String, maxLength: Int) throws(GatewayError) -> String? {
        guard let raw = values[name] else { return nil }
        let value = raw.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { return nil }
        guard value.utf8.count <= maxLength else { throw .invalidParameter(name, "must be at most \(maxLength) characters") }
        return value
    }

    func required(_ name: String, maxLength: Int) throws(GatewayError) -> String {
        guard let value = try optional(name, maxLength: maxLength) else { throw .invalidParameter(name, "is required") }
        return value
    }

    /// One of `allowed`, or nil when absent or blank.
    func choice(_ name: String, in allowed: [String]) throws(GatewayError) -> String? {
        guard let value = try optional(name, maxLength: 64) else { return nil }
        guard allowed.contains(value) else { throw .invalidParameter(name, "must be one of \(allowed.joined(separator: ", "))") }
        return value
    }

    /// A `YYYY-MM-DD` date as the start of that day in `timestamps`' zone, nil when absent.
    func day(_ name: String, timestamps: TimestampFormat) throws(GatewayError) -> Date? {
        guard let value = try optional(name, maxLength: 10) else { return nil }
        let parts = value.split(separator: "-").compactMap { Int($0) }
        guard value.utf8.count == 10, parts.count == 3, (1970...9999).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw .invalidParameter(name, "must be a date written YYYY-MM-DD")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: timestamps.utcOffsetSeconds) ?? .gmt
        guard let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              calendar.component(.day, from: date) == parts[2] else {
            throw .invalidParameter(name, "is not a day of the calendar")
        }
        return date
    }
}
