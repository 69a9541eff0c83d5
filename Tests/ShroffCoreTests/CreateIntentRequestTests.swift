import Foundation
import Testing
@testable import ShroffCore

/// A request that breaks exactly one rule of merchant-api.md ("Payment intents") or of the seeds.
struct RuleCase: Sendable, CustomTestStringConvertible {
    let rule: String
    let base: SeedBody
    let edits: [Edit]
    var h5Domain: String? = seed003H5Domain
    /// The field the message must start with.
    let field: String
    var kind: ErrorKind = .invalidParameter

    var testDescription: String { rule }

    var body: [String: JSONValue] { applying(edits, to: base.body) }
}

/// A request that must be accepted: the positive side of a rule.
struct AcceptedCase: Sendable, CustomTestStringConvertible {
    let rule: String
    let base: SeedBody
    let edits: [Edit]
    var h5Domain: String? = seed003H5Domain

    var testDescription: String { rule }

    var body: [String: JSONValue] { applying(edits, to: base.body) }
}

private let aplus = "payment_method.aplus"
private let alipayhk = "payment_method.alipayhk"

/// Sets a specific aplus wallet (which needs TILE) with its currency and amount.
private func aplusWallet(_ wallet: String, currency: String, amount: String) -> [Edit] {
    [
        .set("\(aplus).payment_method", .s(wallet)), .set("\(aplus).presentment_mode", .s("TILE")),
        .set("currency", .s(currency)), .set("amount", .s(amount)),
    ]
}

@Suite("CreateIntentRequest.validate")
struct CreateIntentRequestTests {
    // MARK: The seeds' examples

    @Test("seed 000's example request validates as an aplus cashier payment")
    func seed000() throws {
        let request = try CreateIntentRequest.validate(SeedBody.aplusCashier.body, h5Domain: nil)
        #expect(request.amount == Money(minorUnits: 100, currency: Currency(code: "USD")!))
        #expect(request.merchantOrderID == "P9297895081903")
        #expect(request.description == "Online Payment")
        #expect(request.notifyURL == "https://put_your_site_here/example_url")
        #expect(request.returnURL == nil)
        #expect(request.expireInSeconds == nil)
        #expect(request.method == PaymentMethodSpec(
            channel: .aplus, flow: .cashier, wallet: "CONNECT_WALLET", presentmentMode: "UNIFIED", terminalType: "WEB"
        ))
    }

    @Test("seed 001's example request validates as an alipayhk QR code payment")
    func seed001() throws {
        let request = try CreateIntentRequest.validate(SeedBody.alipayHKQRCode.body, h5Domain: nil)
        #expect(request.amount == Money(minorUnits: 100, currency: Currency(code: "HKD")!))
        #expect(request.merchantOrderID == "P9297895081903")
        #expect(request.description == "Instore Payment")
        #expect(request.method == PaymentMethodSpec(channel: .alipayhk, flow: .csbQRCode, wallet: "ALIPAYCN"))
    }

    @Test("seed 003's request (flow object named alipayhk as its table says) validates as mobile_web")
    func seed003() throws {
        let request = try CreateIntentRequest.validate(SeedBody.alipayHKMobileWeb.body, h5Domain: seed003H5Domain)
        #expect(request.method == PaymentMethodSpec(channel: .alipayhk, flow: .mobileWeb, wallet: "ALIPAYCN"))
        #expect(request.returnURL == "https://shop.yourwebsite.com/orders?id=123456")
    }

    @Test("seed 003's example verbatim nests the flow object under `wechat`: refused naming payment_method.alipayhk")
    func seed003WechatNesting() throws {
        let body = applying([
            .remove(alipayhk),
            .set("payment_method.wechat", .object(["flow": .s("mobile_web"), "payment_method": .s("ALIPAYCN")])),
            .remove("return_url"),
        ], to: SeedBody.alipayHKMobileWeb.body)
        let error = try #require(validationError(body))
        #expect(error.kind == .invalidParameter)
        #expect(error.kind.code == 40001)
        #expect(error.message.hasPrefix("payment_method.alipayhk:"))
        #expect(error.message.contains("wechat"))
    }

    @Test("defaults: presentment_mode UNIFIED and payment_method CONNECT_WALLET when omitted")
    func aplusDefaults() throws {
        let body = applying([.remove("\(aplus).presentment_mode"), .remove("\(aplus).payment_method")], to: SeedBody.aplusCashier.body)
        let request = try CreateIntentRequest.validate(body, h5Domain: nil)
        #expect(request.method.presentmentMode == "UNIFIED")
        #expect(request.method.wallet == "CONNECT_WALLET")
    }

    @Test("the optional fields are carried through")
    func optionalFields() throws {
        let body = applying([
            .set("return_url", .s("https://shop.example.com/back")), .set("expire_in_seconds", .n("600")),
            .set("\(aplus).terminal_type", .s("APP")), .set("\(aplus).os_type", .s("ANDROID")),
            .set("\(aplus).settlement_currency", .s("HKD")),
        ], to: SeedBody.aplusCashier.body)
        let request = try CreateIntentRequest.validate(body, h5Domain: nil)
        #expect(request.returnURL == "https://shop.example.com/back")
        #expect(request.expireInSeconds == 600)
        #expect(request.method.terminalType == "APP")
        #expect(request.method.osType == "ANDROID")
        #expect(request.method.settlementCurrency == "HKD")
    }

    // MARK: One rule per case

    static let requiredFields: [RuleCase] = [
        RuleCase(rule: "amount is required", base: .aplusCashier, edits: [.remove("amount")], field: "amount"),
        RuleCase(rule: "amount null counts as missing", base: .aplusCashier, edits: [.set("amount", .null)], field: "amount"),
        RuleCase(rule: "amount must not be empty", base: .aplusCashier, edits: [.set("amount", .s(""))], field: "amount"),
        RuleCase(rule: "currency is required", base: .aplusCashier, edits: [.remove("currency")], field: "currency"),
        RuleCase(rule: "merchant_order_id is required", base: .aplusCashier, edits: [.remove("merchant_order_id")], field: "merchant_order_id"),
        RuleCase(rule: "merchant_order_id must not be empty", base: .aplusCashier, edits: [.set("merchant_order_id", .s(""))], field: "merchant_order_id"),
        RuleCase(rule: "description is required", base: .aplusCashier, edits: [.remove("description")], field: "description"),
        RuleCase(rule: "description must not be empty", base: .aplusCashier, edits: [.set("description", .s(""))], field: "description"),
        RuleCase(rule: "payment_method is required", base: .aplusCashier, edits: [.remove("payment_method")], field: "payment_method"),
        RuleCase(rule: "payment_method.type is required", base: .aplusCashier, edits: [.remove("payment_method.type")], field: "payment_method.type"),
        RuleCase(rule: "the aplus object named by type is required", base: .aplusCashier, edits: [.remove(aplus)], field: aplus),
        RuleCase(rule: "the alipayhk object named by type is required", base: .alipayHKQRCode, edits: [.remove(alipayhk)], field: alipayhk),
        RuleCase(
            rule: "the object named by type is required even when another channel's object is present",
            base: .aplusCashier, edits: [.set("payment_method.type", .s("alipayhk"))], field: alipayhk
        ),
        RuleCase(rule: "aplus.flow is required", base: .aplusCashier, edits: [.remove("\(aplus).flow")], field: "\(aplus).flow"),
        RuleCase(rule: "alipayhk.flow is required", base: .alipayHKQRCode, edits: [.remove("\(alipayhk).flow")], field: "\(alipayhk).flow"),
        RuleCase(
            rule: "alipayhk.payment_method is required", base: .alipayHKQRCode,
            edits: [.remove("\(alipayhk).payment_method")], field: "\(alipayhk).payment_method"
        ),
    ]

    static let wrongTypes: [RuleCase] = [
        RuleCase(rule: "amount as a JSON integer", base: .aplusCashier, edits: [.set("amount", .n("1"))], field: "amount"),
        RuleCase(rule: "amount as a JSON decimal", base: .aplusCashier, edits: [.set("amount", .n("10.5"))], field: "amount"),
        RuleCase(rule: "amount as an object", base: .aplusCashier, edits: [.set("amount", .object(["value": .s("1")]))], field: "amount"),
        RuleCase(rule: "currency as a number", base: .aplusCashier, edits: [.set("currency", .n("840"))], field: "currency"),
        RuleCase(rule: "merchant_order_id as a number", base: .aplusCashier, edits: [.set("merchant_order_id", .n("9297895081903"))], field: "merchant_order_id"),
        RuleCase(rule: "description as a boolean", base: .aplusCashier, edits: [.set("description", .bool(true))], field: "description"),
        RuleCase(rule: "notify_url as a number", base: .aplusCashier, edits: [.set("notify_url", .n("1"))], field: "notify_url"),
        RuleCase(rule: "payment_method as a string", base: .aplusCashier, edits: [.set("payment_method", .s("aplus"))], field: "payment_method"),
        RuleCase(rule: "payment_method as an array", base: .aplusCashier, edits: [.set("payment_method", .array([]))], field: "payment_method"),
        RuleCase(rule: "payment_method.type as a number", base: .aplusCashier, edits: [.set("payment_method.type", .n("1"))], field: "payment_method.type"),
        RuleCase(rule: "payment_method.aplus as a string", base: .aplusCashier, edits: [.set(aplus, .s("cashier"))], field: aplus),
        RuleCase(rule: "aplus.flow as a number", base: .aplusCashier, edits: [.set("\(aplus).flow", .n("1"))], field: "\(aplus).flow"),
        RuleCase(rule: "aplus.terminal_type as a boolean", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .bool(true))], field: "\(aplus).terminal_type"),
        RuleCase(rule: "expire_in_seconds as a string", base: .aplusCashier, edits: [.set("expire_in_seconds", .s("600"))], field: "expire_in_seconds"),
        RuleCase(rule: "expire_in_seconds as a fraction", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("600.5"))], field: "expire_in_seconds"),
    ]

    static let formats: [RuleCase] = [
        RuleCase(rule: "amount with an exponent", base: .aplusCashier, edits: [.set("amount", .s("1e3"))], field: "amount"),
        RuleCase(rule: "amount with a sign", base: .aplusCashier, edits: [.set("amount", .s("-1"))], field: "amount"),
        RuleCase(rule: "amount with a space", base: .aplusCashier, edits: [.set("amount", .s("1 "))], field: "amount"),
        RuleCase(rule: "amount zero", base: .aplusCashier, edits: [.set("amount", .s("0"))], field: "amount"),
        RuleCase(rule: "amount with 3 decimals in USD", base: .aplusCashier, edits: [.set("amount", .s("1.001"))], field: "amount"),
        RuleCase(
            rule: "amount with decimals in KRW", base: .aplusCashier,
            edits: [.set("currency", .s("KRW")), .set("amount", .s("1.5"))], field: "amount"
        ),
        RuleCase(rule: "amount with 13 integer digits", base: .aplusCashier, edits: [.set("amount", .s("1234567890123"))], field: "amount"),
        RuleCase(
            rule: "amount longer than string(32)", base: .aplusCashier,
            edits: [.set("amount", .s("1." + String(repeating: "0", count: 31)))], field: "amount"
        ),
        RuleCase(rule: "currency in lower case", base: .aplusCashier, edits: [.set("currency", .s("usd"))], field: "currency"),
        RuleCase(rule: "currency not ISO 4217", base: .aplusCashier, edits: [.set("currency", .s("XYZ"))], field: "currency"),
        RuleCase(rule: "currency of 2 letters", base: .aplusCashier, edits: [.set("currency", .s("US"))], field: "currency"),
        RuleCase(rule: "currency of 4 letters", base: .aplusCashier, edits: [.set("currency", .s("USDD"))], field: "currency"),
        RuleCase(
            rule: "merchant_order_id of 33 characters", base: .aplusCashier,
            edits: [.set("merchant_order_id", .s(String(repeating: "A", count: 33)))], field: "merchant_order_id"
        ),
        RuleCase(rule: "merchant_order_id with a space", base: .aplusCashier, edits: [.set("merchant_order_id", .s("P929 789"))], field: "merchant_order_id"),
        RuleCase(rule: "merchant_order_id with a slash", base: .aplusCashier, edits: [.set("merchant_order_id", .s("P929/789"))], field: "merchant_order_id"),
        RuleCase(rule: "merchant_order_id with a dot", base: .aplusCashier, edits: [.set("merchant_order_id", .s("P929.789"))], field: "merchant_order_id"),
        RuleCase(rule: "merchant_order_id with non-ASCII letters", base: .aplusCashier, edits: [.set("merchant_order_id", .s("订单123"))], field: "merchant_order_id"),
        RuleCase(rule: "merchant_order_id with an accented letter", base: .aplusCashier, edits: [.set("merchant_order_id", .s("Pé1"))], field: "merchant_order_id"),
        RuleCase(rule: "notify_url with an ftp scheme", base: .aplusCashier, edits: [.set("notify_url", .s("ftp://example.com/notify"))], field: "notify_url"),
        RuleCase(rule: "notify_url without a scheme", base: .aplusCashier, edits: [.set("notify_url", .s("example.com/notify"))], field: "notify_url"),
        RuleCase(rule: "notify_url relative", base: .aplusCashier, edits: [.set("notify_url", .s("/notify"))], field: "notify_url"),
        RuleCase(rule: "notify_url without a host", base: .aplusCashier, edits: [.set("notify_url", .s("https://"))], field: "notify_url"),
        RuleCase(rule: "notify_url mailto", base: .aplusCashier, edits: [.set("notify_url", .s("mailto:ops@example.com"))], field: "notify_url"),
        RuleCase(rule: "return_url not an http(s) URL", base: .aplusCashier, edits: [.set("return_url", .s("javascript:alert(1)"))], field: "return_url"),
        RuleCase(rule: "payment_method.type unknown", base: .aplusCashier, edits: [.set("payment_method.type", .s("wechat"))], field: "payment_method.type"),
        RuleCase(rule: "payment_method.type in upper case", base: .aplusCashier, edits: [.set("payment_method.type", .s("APLUS"))], field: "payment_method.type"),
        RuleCase(rule: "expire_in_seconds below 60", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("59"))], field: "expire_in_seconds"),
        RuleCase(rule: "expire_in_seconds above 86400", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("86401"))], field: "expire_in_seconds"),
        RuleCase(rule: "expire_in_seconds zero", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("0"))], field: "expire_in_seconds"),
        RuleCase(rule: "expire_in_seconds negative", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("-600"))], field: "expire_in_seconds"),
    ]

    static let aplusRules: [RuleCase] = [
        RuleCase(rule: "aplus.flow must be cashier", base: .aplusCashier, edits: [.set("\(aplus).flow", .s("redirect"))], field: "\(aplus).flow"),
        RuleCase(rule: "aplus.flow csb_qrcode is alipayhk's", base: .aplusCashier, edits: [.set("\(aplus).flow", .s("csb_qrcode"))], field: "\(aplus).flow"),
        RuleCase(rule: "presentment_mode not UNIFIED or TILE", base: .aplusCashier, edits: [.set("\(aplus).presentment_mode", .s("GRID"))], field: "\(aplus).presentment_mode"),
        RuleCase(rule: "presentment_mode in lower case", base: .aplusCashier, edits: [.set("\(aplus).presentment_mode", .s("tile"))], field: "\(aplus).presentment_mode"),
        RuleCase(rule: "aplus.payment_method not a seed 002 wallet", base: .aplusCashier, edits: [.set("\(aplus).payment_method", .s("PAYPAL"))], field: "\(aplus).payment_method"),
        RuleCase(
            rule: "aplus.payment_method with alipayhk's spelling ALIPAYHK", base: .aplusCashier,
            edits: [.set("\(aplus).payment_method", .s("ALIPAYHK")), .set("\(aplus).presentment_mode", .s("TILE"))], field: "\(aplus).payment_method"
        ),
        RuleCase(rule: "aplus.payment_method in lower case", base: .aplusCashier, edits: [.set("\(aplus).payment_method", .s("connect_wallet"))], field: "\(aplus).payment_method"),
        RuleCase(
            rule: "a specific wallet with UNIFIED needs TILE", base: .aplusCashier,
            edits: [.set("\(aplus).payment_method", .s("TRUEMONEY")), .set("\(aplus).presentment_mode", .s("UNIFIED"))], field: "\(aplus).presentment_mode"
        ),
        RuleCase(
            rule: "a specific wallet with the default presentment (UNIFIED) needs TILE", base: .aplusCashier,
            edits: [.set("\(aplus).payment_method", .s("GCASH")), .remove("\(aplus).presentment_mode")], field: "\(aplus).presentment_mode"
        ),
        RuleCase(
            rule: "terminal_type is required with CONNECT_WALLET", base: .aplusCashier,
            edits: [.remove("\(aplus).terminal_type")], field: "\(aplus).terminal_type"
        ),
        RuleCase(
            rule: "terminal_type is required with the default payment_method (CONNECT_WALLET)", base: .aplusCashier,
            edits: [.remove("\(aplus).terminal_type"), .remove("\(aplus).payment_method")], field: "\(aplus).terminal_type"
        ),
        RuleCase(rule: "terminal_type not WEB, WAP or APP", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .s("PC"))], field: "\(aplus).terminal_type"),
        RuleCase(rule: "terminal_type in lower case", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .s("web"))], field: "\(aplus).terminal_type"),
        RuleCase(rule: "os_type is required with WAP", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .s("WAP"))], field: "\(aplus).os_type"),
        RuleCase(rule: "os_type is required with APP", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .s("APP"))], field: "\(aplus).os_type"),
        RuleCase(
            rule: "os_type not IOS or ANDROID", base: .aplusCashier,
            edits: [.set("\(aplus).terminal_type", .s("APP")), .set("\(aplus).os_type", .s("WINDOWS"))], field: "\(aplus).os_type"
        ),
        RuleCase(
            rule: "os_type in lower case", base: .aplusCashier,
            edits: [.set("\(aplus).terminal_type", .s("WAP")), .set("\(aplus).os_type", .s("ios"))], field: "\(aplus).os_type"
        ),
        RuleCase(rule: "settlement_currency of 2 letters", base: .aplusCashier, edits: [.set("\(aplus).settlement_currency", .s("HK"))], field: "\(aplus).settlement_currency"),
        RuleCase(rule: "settlement_currency of 4 letters", base: .aplusCashier, edits: [.set("\(aplus).settlement_currency", .s("HKDD"))], field: "\(aplus).settlement_currency"),
        RuleCase(rule: "settlement_currency as a number", base: .aplusCashier, edits: [.set("\(aplus).settlement_currency", .n("344"))], field: "\(aplus).settlement_currency"),
    ]

    static let alipayHKRules: [RuleCase] = [
        RuleCase(rule: "alipayhk accepts HKD only (USD)", base: .alipayHKQRCode, edits: [.set("currency", .s("USD"))], field: "currency"),
        RuleCase(rule: "alipayhk accepts HKD only (CNY)", base: .alipayHKQRCode, edits: [.set("currency", .s("CNY"))], field: "currency"),
        RuleCase(rule: "alipayhk accepts HKD only (mobile_web)", base: .alipayHKMobileWeb, edits: [.set("currency", .s("USD"))], field: "currency"),
        RuleCase(
            rule: "alipayhk.payment_method with aplus's spelling ALIPAY_HK", base: .alipayHKQRCode,
            edits: [.set("\(alipayhk).payment_method", .s("ALIPAY_HK"))], field: "\(alipayhk).payment_method"
        ),
        RuleCase(
            rule: "alipayhk.payment_method CONNECT_WALLET", base: .alipayHKQRCode,
            edits: [.set("\(alipayhk).payment_method", .s("CONNECT_WALLET"))], field: "\(alipayhk).payment_method"
        ),
        RuleCase(
            rule: "alipayhk.payment_method in lower case", base: .alipayHKQRCode,
            edits: [.set("\(alipayhk).payment_method", .s("alipayhk"))], field: "\(alipayhk).payment_method"
        ),
        RuleCase(rule: "alipayhk.flow cashier is aplus's", base: .alipayHKQRCode, edits: [.set("\(alipayhk).flow", .s("cashier"))], field: "\(alipayhk).flow"),
        RuleCase(rule: "alipayhk.flow mobile_app", base: .alipayHKQRCode, edits: [.set("\(alipayhk).flow", .s("mobile_app"))], field: "\(alipayhk).flow"),
    ]

    /// Seed 002's minimums, one unit of the smallest denomination below each (42200, the amount named).
    static let walletMinimums: [RuleCase] = [
        RuleCase(rule: "TRUEMONEY under 1 THB", base: .aplusCashier, edits: aplusWallet("TRUEMONEY", currency: "THB", amount: "0.99"), field: "amount", kind: .rejected),
        RuleCase(rule: "ALIPAY_HK under 0.1 HKD", base: .aplusCashier, edits: aplusWallet("ALIPAY_HK", currency: "HKD", amount: "0.09"), field: "amount", kind: .rejected),
        RuleCase(rule: "TNG under 0.1 MYR", base: .aplusCashier, edits: aplusWallet("TNG", currency: "MYR", amount: "0.09"), field: "amount", kind: .rejected),
        RuleCase(rule: "GCASH under 1 PHP", base: .aplusCashier, edits: aplusWallet("GCASH", currency: "PHP", amount: "0.99"), field: "amount", kind: .rejected),
        RuleCase(rule: "DANA under 300 IDR", base: .aplusCashier, edits: aplusWallet("DANA", currency: "IDR", amount: "299.99"), field: "amount", kind: .rejected),
        RuleCase(rule: "EASYPAISA under 100 PKR", base: .aplusCashier, edits: aplusWallet("EASYPAISA", currency: "PKR", amount: "99.99"), field: "amount", kind: .rejected),
        RuleCase(rule: "KAKAOPAY under 50 KRW", base: .aplusCashier, edits: aplusWallet("KAKAOPAY", currency: "KRW", amount: "49"), field: "amount", kind: .rejected),
        RuleCase(
            rule: "ALIPAYHK (alipayhk csb_qrcode) under 0.1 HKD", base: .alipayHKQRCode,
            edits: [.set("\(alipayhk).payment_method", .s("ALIPAYHK")), .set("amount", .s("0.09"))], field: "amount", kind: .rejected
        ),
        RuleCase(
            rule: "ALIPAYHK (alipayhk mobile_web) under 0.1 HKD", base: .alipayHKMobileWeb,
            edits: [.set("\(alipayhk).payment_method", .s("ALIPAYHK")), .set("amount", .s("0.01"))], field: "amount", kind: .rejected
        ),
    ]

    /// Seed 003: the return_url of a mobile_web payment must be on the registered H5 domain (42200).
    static let returnURLDomain: [RuleCase] = [
        RuleCase(rule: "return_url on another domain", base: .alipayHKMobileWeb, edits: [.set("return_url", .s("https://evil.com/orders"))], field: "return_url", kind: .rejected),
        RuleCase(
            rule: "return_url on a domain that merely ends with the registered name", base: .alipayHKMobileWeb,
            edits: [.set("return_url", .s("https://notyourwebsite.com/orders"))], field: "return_url", kind: .rejected
        ),
        RuleCase(
            rule: "return_url on a domain that starts with the registered name", base: .alipayHKMobileWeb,
            edits: [.set("return_url", .s("https://yourwebsite.com.evil.com/orders"))], field: "return_url", kind: .rejected
        ),
        RuleCase(
            rule: "return_url with the registered name as user info", base: .alipayHKMobileWeb,
            edits: [.set("return_url", .s("https://yourwebsite.com@evil.com/orders"))], field: "return_url"
        ),
        RuleCase(
            rule: "return_url on a parent of the registered domain", base: .alipayHKMobileWeb,
            edits: [.set("return_url", .s("https://shop.yourwebsite.com/orders"))], h5Domain: "pay.shop.yourwebsite.com",
            field: "return_url", kind: .rejected
        ),
        RuleCase(
            rule: "return_url with no registered H5 domain", base: .alipayHKMobileWeb, edits: [],
            h5Domain: nil, field: "return_url", kind: .rejected
        ),
        RuleCase(
            rule: "return_url with an empty registered H5 domain", base: .alipayHKMobileWeb, edits: [],
            h5Domain: "", field: "return_url", kind: .rejected
        ),
    ]

    @Test("a missing required field is refused with 40001 naming it", arguments: requiredFields)
    func requiredField(_ example: RuleCase) throws { try check(example) }

    @Test("a field of the wrong JSON type is refused with 40001 naming it", arguments: wrongTypes)
    func wrongType(_ example: RuleCase) throws { try check(example) }

    @Test("a badly formed value is refused with 40001 naming the field", arguments: formats)
    func format(_ example: RuleCase) throws { try check(example) }

    @Test("aplus rules of seed 000", arguments: aplusRules)
    func aplusRule(_ example: RuleCase) throws { try check(example) }

    @Test("alipayhk rules of seeds 001 and 003", arguments: alipayHKRules)
    func alipayHKRule(_ example: RuleCase) throws { try check(example) }

    @Test("seed 002's wallet minimums are business rejections (42200)", arguments: walletMinimums)
    func walletMinimum(_ example: RuleCase) throws { try check(example) }

    @Test("seed 003's return_url domain rule for mobile_web (42200)", arguments: returnURLDomain)
    func returnURLDomainRule(_ example: RuleCase) throws { try check(example) }

    private func check(_ example: RuleCase) throws {
        let error = try #require(validationError(example.body, h5Domain: example.h5Domain), "accepted: \(example.edits)")
        #expect(error.kind == example.kind, "\(error)")
        #expect(error.kind.code == (example.kind == .rejected ? 42200 : 40001))
        #expect(error.message.hasPrefix(example.field + ":"), "message \"\(error.message)\" should start with \(example.field):")
        #expect(error.providerCode == nil)
    }

    // MARK: The accepted side of each rule

    static let accepted: [AcceptedCase] = [
        AcceptedCase(rule: "merchant_order_id of 32 characters", base: .aplusCashier, edits: [.set("merchant_order_id", .s(String(repeating: "A", count: 32)))]),
        AcceptedCase(rule: "merchant_order_id of 1 character", base: .aplusCashier, edits: [.set("merchant_order_id", .s("A"))]),
        AcceptedCase(rule: "merchant_order_id with letters, digits, - and _", base: .aplusCashier, edits: [.set("merchant_order_id", .s("Order-2024_09-a"))]),
        AcceptedCase(rule: "notify_url absent", base: .aplusCashier, edits: [.remove("notify_url")]),
        AcceptedCase(rule: "notify_url empty (counts as absent)", base: .aplusCashier, edits: [.set("notify_url", .s(""))]),
        AcceptedCase(rule: "settlement_currency empty (counts as absent)", base: .aplusCashier, edits: [.set("\(aplus).settlement_currency", .s(""))]),
        AcceptedCase(rule: "notify_url plain http", base: .aplusCashier, edits: [.set("notify_url", .s("http://merchant.example:8080/hooks?x=1"))]),
        AcceptedCase(rule: "amount with 2 decimals in USD", base: .aplusCashier, edits: [.set("amount", .s("10.50"))]),
        AcceptedCase(rule: "amount of 12 integer digits", base: .aplusCashier, edits: [.set("amount", .s("999999999999.99"))]),
        AcceptedCase(rule: "amount in KRW", base: .aplusCashier, edits: [.set("currency", .s("KRW")), .set("amount", .s("50000"))]),
        AcceptedCase(rule: "amount with 3 decimals in BHD", base: .aplusCashier, edits: [.set("currency", .s("BHD")), .set("amount", .s("1.234"))]),
        AcceptedCase(rule: "expire_in_seconds 60", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("60"))]),
        AcceptedCase(rule: "expire_in_seconds 86400", base: .aplusCashier, edits: [.set("expire_in_seconds", .n("86400"))]),
        AcceptedCase(rule: "presentment_mode TILE with CONNECT_WALLET", base: .aplusCashier, edits: [.set("\(aplus).presentment_mode", .s("TILE"))]),
        AcceptedCase(
            rule: "a specific wallet with TILE needs no terminal_type", base: .aplusCashier,
            edits: [.set("\(aplus).payment_method", .s("ALIPAY_CN")), .set("\(aplus).presentment_mode", .s("TILE")), .remove("\(aplus).terminal_type")]
        ),
        AcceptedCase(rule: "terminal_type WEB needs no os_type", base: .aplusCashier, edits: []),
        AcceptedCase(rule: "terminal_type WAP with IOS", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .s("WAP")), .set("\(aplus).os_type", .s("IOS"))]),
        AcceptedCase(rule: "terminal_type APP with ANDROID", base: .aplusCashier, edits: [.set("\(aplus).terminal_type", .s("APP")), .set("\(aplus).os_type", .s("ANDROID"))]),
        AcceptedCase(rule: "settlement_currency HKD", base: .aplusCashier, edits: [.set("\(aplus).settlement_currency", .s("HKD"))]),
        AcceptedCase(rule: "alipayhk.payment_method ALIPAYHK", base: .alipayHKQRCode, edits: [.set("\(alipayhk).payment_method", .s("ALIPAYHK"))]),
        AcceptedCase(rule: "alipayhk mobile_web without return_url and without H5 domain", base: .alipayHKMobileWeb, edits: [.remove("return_url")], h5Domain: nil),
        // Seed 002's minimums are inclusive.
        AcceptedCase(rule: "TRUEMONEY at 1 THB", base: .aplusCashier, edits: aplusWallet("TRUEMONEY", currency: "THB", amount: "1")),
        AcceptedCase(rule: "ALIPAY_HK at 0.1 HKD", base: .aplusCashier, edits: aplusWallet("ALIPAY_HK", currency: "HKD", amount: "0.1")),
        AcceptedCase(rule: "TNG at 0.1 MYR", base: .aplusCashier, edits: aplusWallet("TNG", currency: "MYR", amount: "0.10")),
        AcceptedCase(rule: "GCASH at 1 PHP", base: .aplusCashier, edits: aplusWallet("GCASH", currency: "PHP", amount: "1")),
        AcceptedCase(rule: "DANA at 300 IDR", base: .aplusCashier, edits: aplusWallet("DANA", currency: "IDR", amount: "300")),
        AcceptedCase(rule: "BKASH at 0.01 BDT", base: .aplusCashier, edits: aplusWallet("BKASH", currency: "BDT", amount: "0.01")),
        AcceptedCase(rule: "EASYPAISA at 100 PKR", base: .aplusCashier, edits: aplusWallet("EASYPAISA", currency: "PKR", amount: "100")),
        AcceptedCase(rule: "KAKAOPAY at 50 KRW", base: .aplusCashier, edits: aplusWallet("KAKAOPAY", currency: "KRW", amount: "50")),
        AcceptedCase(rule: "ALIPAYHK at 0.1 HKD", base: .alipayHKQRCode, edits: [.set("\(alipayhk).payment_method", .s("ALIPAYHK")), .set("amount", .s("0.1"))]),
        AcceptedCase(
            rule: "no minimum without a specific wallet (CONNECT_WALLET, 0.01 THB)", base: .aplusCashier,
            edits: [.set("currency", .s("THB")), .set("amount", .s("0.01"))]
        ),
        // Seed 003's domain rule: the registered domain itself and any subdomain.
        AcceptedCase(rule: "return_url on a subdomain of the H5 domain", base: .alipayHKMobileWeb, edits: []),
        AcceptedCase(rule: "return_url on the H5 domain itself", base: .alipayHKMobileWeb, edits: [.set("return_url", .s("https://yourwebsite.com/orders"))]),
        AcceptedCase(rule: "return_url on a deeper subdomain", base: .alipayHKMobileWeb, edits: [.set("return_url", .s("http://a.b.yourwebsite.com:8443/x"))]),
        AcceptedCase(rule: "return_url host in another case", base: .alipayHKMobileWeb, edits: [.set("return_url", .s("https://Shop.YourWebsite.COM/x"))]),
        AcceptedCase(rule: "H5 domain registered in another case", base: .alipayHKMobileWeb, edits: [], h5Domain: "YourWebsite.com"),
    ]

    @Test("the accepted side of each rule", arguments: accepted)
    func acceptedSide(_ example: AcceptedCase) {
        let error = validationError(example.body, h5Domain: example.h5Domain)
        #expect(error == nil, "\(example.edits) refused: \(String(describing: error))")
    }

    @Test("an empty optional field counts as absent: the same payment as without it")
    func emptyOptionalFieldIsAbsent() throws {
        let without = applying([.remove("notify_url")], to: SeedBody.aplusCashier.body)
        let empty = applying([.set("notify_url", .s(""))], to: SeedBody.aplusCashier.body)
        let request = try CreateIntentRequest.validate(empty, h5Domain: nil)
        #expect(request.notifyURL == nil)
        #expect(request.fingerprint == (try CreateIntentRequest.validate(without, h5Domain: nil)).fingerprint)
    }

    @Test("a top-level settlement_currency on an alipayhk flow is refused (the protocols cannot honour it)")
    func settlementCurrencyOnAlipayHK() throws {
        for base in [SeedBody.alipayHKMobileWeb, SeedBody.alipayHKQRCode] {
            let body = applying([.set("settlement_currency", .s("HKD"))], to: base.body)
            let error = try #require(validationError(body, h5Domain: "yourwebsite.com"))
            #expect(error.kind == .invalidParameter)
            #expect(error.message.hasPrefix("settlement_currency:"))
        }
    }

    // MARK: settlement_currency where seed 000 puts it

    /// Seed 000's request table lists `settlement_currency` at the top level of the body (between
    /// `currency` and `merchant_order_id`, not as a `-- ` child of `aplus`).
    @Test("seed 000: a top-level settlement_currency is validated as a 3-letter code")
    func topLevelSettlementCurrencyValidated() throws {
        let body = applying([.set("settlement_currency", .s("hkd"))], to: SeedBody.aplusCashier.body)
        let error = try #require(validationError(body))
        #expect(error.kind == .invalidParameter)
        #expect(error.message.hasPrefix("settlement_currency:"))
    }

    @Test("seed 000: a top-level settlement_currency is used for the payment")
    func topLevelSettlementCurrencyUsed() throws {
        let body = applying([.set("settlement_currency", .s("HKD"))], to: SeedBody.aplusCashier.body)
        let request = try CreateIntentRequest.validate(body, h5Domain: nil)
        #expect(request.method.settlementCurrency == "HKD")
    }

    // MARK: Fingerprint

    /// Every optional field set, so that each one can be changed.
    static let fullBody: [String: JSONValue] = parseBody("""
        {"amount": "10.50", "currency": "USD", "merchant_order_id": "P1", "description": "Online Payment",
         "notify_url": "https://merchant.example/notify", "return_url": "https://merchant.example/back",
         "expire_in_seconds": 600,
         "payment_method": {"type": "aplus", "aplus": {"flow": "cashier", "presentment_mode": "UNIFIED",
           "payment_method": "CONNECT_WALLET", "terminal_type": "WAP", "os_type": "IOS", "settlement_currency": "HKD"}}}
        """)

    @Test("identical requests have the same fingerprint")
    func fingerprintStable() throws {
        for body in [Self.fullBody, SeedBody.aplusCashier.body, SeedBody.alipayHKQRCode.body] {
            let first = try CreateIntentRequest.validate(body, h5Domain: nil)
            let second = try CreateIntentRequest.validate(parseBody(String(decoding: try JSONEncoder().encode(body), as: UTF8.self)), h5Domain: nil)
            #expect(first.fingerprint == second.fingerprint)
            #expect(first.fingerprint.count == 64)
        }
    }

    struct Change: Sendable, CustomTestStringConvertible {
        let name: String
        let base: [String: JSONValue]
        let edits: [Edit]
        var testDescription: String { name }
    }

    static let changes: [Change] = [
        Change(name: "amount", base: fullBody, edits: [.set("amount", .s("10.51"))]),
        Change(name: "currency", base: fullBody, edits: [.set("currency", .s("HKD"))]),
        Change(name: "merchant_order_id", base: fullBody, edits: [.set("merchant_order_id", .s("P2"))]),
        Change(name: "description", base: fullBody, edits: [.set("description", .s("Online payment"))]),
        Change(name: "notify_url", base: fullBody, edits: [.set("notify_url", .s("https://merchant.example/notify2"))]),
        Change(name: "notify_url removed", base: fullBody, edits: [.remove("notify_url")]),
        Change(name: "return_url", base: fullBody, edits: [.set("return_url", .s("https://merchant.example/back2"))]),
        Change(name: "return_url removed", base: fullBody, edits: [.remove("return_url")]),
        Change(name: "expire_in_seconds", base: fullBody, edits: [.set("expire_in_seconds", .n("601"))]),
        Change(name: "expire_in_seconds removed", base: fullBody, edits: [.remove("expire_in_seconds")]),
        Change(name: "presentment_mode", base: fullBody, edits: [.set("\(aplus).presentment_mode", .s("TILE"))]),
        Change(
            name: "aplus.payment_method", base: fullBody,
            edits: [.set("\(aplus).presentment_mode", .s("TILE")), .set("\(aplus).payment_method", .s("ALIPAY_CN"))]
        ),
        Change(name: "terminal_type", base: fullBody, edits: [.set("\(aplus).terminal_type", .s("APP"))]),
        Change(name: "os_type", base: fullBody, edits: [.set("\(aplus).os_type", .s("ANDROID"))]),
        Change(name: "settlement_currency", base: fullBody, edits: [.set("\(aplus).settlement_currency", .s("USD"))]),
        Change(name: "settlement_currency removed", base: fullBody, edits: [.remove("\(aplus).settlement_currency")]),
        Change(name: "alipayhk.flow", base: SeedBody.alipayHKQRCode.body, edits: [.set("\(alipayhk).flow", .s("mobile_web"))]),
        Change(name: "alipayhk.payment_method", base: SeedBody.alipayHKQRCode.body, edits: [.set("\(alipayhk).payment_method", .s("ALIPAYHK"))]),
        Change(
            name: "payment_method.type", base: SeedBody.alipayHKQRCode.body,
            edits: [.set("payment_method", .object(["type": .s("aplus"), "aplus": .object(["flow": .s("cashier"), "terminal_type": .s("WEB")])]))]
        ),
    ]

    @Test("the fingerprint changes when any parameter changes", arguments: changes)
    func fingerprintChanges(_ change: Change) throws {
        let original = try CreateIntentRequest.validate(change.base, h5Domain: nil)
        let changed = try CreateIntentRequest.validate(applying(change.edits, to: change.base), h5Domain: nil)
        #expect(original != changed)
        #expect(original.fingerprint != changed.fingerprint)
    }
}
