import Foundation

/// A validated `payment_intents/create` request: every rule of seeds 000, 001 and 003 has held.
public struct CreateIntentRequest: Sendable, Equatable {
    public var amount: Money
    public var merchantOrderID: String
    public var description: String
    public var notifyURL: String?
    public var returnURL: String?
    public var method: PaymentMethodSpec
    public var expireInSeconds: Int64?

    /// The wallets of seed 002 that `aplus.payment_method` may name, besides CONNECT_WALLET.
    public static let aplusWallets = [
        "ALIPAY_CN", "ALIPAY_HK", "TRUEMONEY", "TNG", "GCASH", "DANA", "BKASH", "EASYPAISA", "KAKAOPAY",
    ]
    public static let alipayHKWallets = ["ALIPAYCN", "ALIPAYHK"]

    /// Minimum payment amounts of seed 002, in the wallet's own currency, as minor units.
    /// A payment in another currency than the wallet's is not limited here; the provider converts.
    public static let walletMinimums: [String: (currency: String, minorUnits: Int64)] = [
        "TRUEMONEY": ("THB", 100), "ALIPAY_HK": ("HKD", 10), "ALIPAYHK": ("HKD", 10),
        "TNG": ("MYR", 10), "GCASH": ("PHP", 100), "DANA": ("IDR", 30_000),
        "BKASH": ("BDT", 1), "EASYPAISA": ("PKR", 10_000), "KAKAOPAY": ("KRW", 50),
    ]

    public init(
        amount: Money, merchantOrderID: String, description: String, notifyURL: String?,
        returnURL: String?, method: PaymentMethodSpec, expireInSeconds: Int64?
    ) {
        self.amount = amount
        self.merchantOrderID = merchantOrderID
        self.description = description
        self.notifyURL = notifyURL
        self.returnURL = returnURL
        self.method = method
        self.expireInSeconds = expireInSeconds
    }

    /// Validates a request body. Shape errors are `invalid_parameter` (40001) naming the field;
    /// business rules (wallet minimums, return_url domain) are `rejected` (42200).
    public static func validate(_ body: [String: JSONValue], h5Domain: String?) throws(GatewayError) -> CreateIntentRequest {
        let fields = FieldReader(body)
        let currencyCode = try fields.string("currency")
        guard let currency = Currency(code: currencyCode) else {
            throw .invalidParameter("currency", "must be a 3-letter ISO 4217 code in upper case")
        }
        let amount = try parseAmount(fields, "amount", currency: currency)
        let merchantOrderID = try merchantReference(fields, "merchant_order_id")
        let description = try fields.string("description", maxLength: 256)
        let notifyURL = try fields.optionalString("notify_url", maxLength: 1024).map { text throws(GatewayError) in
            try requireHTTPURL(text, field: "notify_url").normalized
        }
        let parsedReturnURL = try fields.optionalString("return_url", maxLength: 1024).map { text throws(GatewayError) in
            try requireHTTPURL(text, field: "return_url")
        }
        let returnURL = parsedReturnURL?.normalized
        let expireInSeconds = try fields.optionalInteger("expire_in_seconds")
        if let expireInSeconds, !(60...86_400).contains(expireInSeconds) {
            throw .invalidParameter("expire_in_seconds", "must be between 60 and 86400")
        }

        // Seed 000 lists settlement_currency at the top level; the contract also names it under aplus.
        let topLevelSettlement = try fields.optionalString("settlement_currency")
        if let topLevelSettlement, Currency(code: topLevelSettlement) == nil {
            throw .invalidParameter("settlement_currency", "must be a 3-letter ISO 4217 code in upper case")
        }

        let methodFields = try fields.object("payment_method")
        guard let type = try methodFields.choice("type", in: ["aplus", "alipayhk"]) else {
            throw .invalidParameter(methodFields.name("type"), "is required")
        }
        var method = type == "aplus"
            ? try aplusMethod(try requireChannelObject(methodFields, type: type))
            : try alipayHKMethod(try requireChannelObject(methodFields, type: type), currency: currency)

        if let topLevelSettlement {
            guard method.channel == .aplus else {
                // Neither the WAP gateway nor AlipayHK's in-store codes take a settlement currency.
                throw .invalidParameter("settlement_currency", "is not supported by alipayhk flows; leave it out")
            }
            if let nested = method.settlementCurrency, nested != topLevelSettlement {
                throw .invalidParameter("settlement_currency", "differs from payment_method.aplus.settlement_currency")
            }
            method.settlementCurrency = topLevelSettlement
        }

        if let minimum = walletMinimums[method.wallet], minimum.currency == currency.code,
           amount.minorUnits < minimum.minorUnits {
            let floor = Money(minorUnits: minimum.minorUnits, currency: currency)
            throw GatewayError(.rejected, "amount: \(method.wallet) accepts at least \(floor.decimalString) \(currency.code)")
        }
        if method.flow == .mobileWeb, let parsedReturnURL {
            try checkReturnURLDomain(parsedReturnURL, h5Domain: h5Domain)
        }
        return CreateIntentRequest(
            amount: amount, merchantOrderID: merchantOrderID, description: description, notifyURL: notifyURL,
            returnURL: returnURL, method: method, expireInSeconds: expireInSeconds
        )
    }

    // MARK: - Rules

    /// The seeds name the flow's object after `type`; seed 003's own example nests it under
    /// `wechat`, which is refused with an explanation.
    static func requireChannelObject(_ method: FieldReader, type: String) throws(GatewayError) -> FieldReader {
        if !method.has(type) {
            let others = method.fields.keys.filter { $0 != "type" }.sorted()
            if let misplaced = others.first {
                throw .invalidParameter(
                    method.name(type),
                    "is required: the flow object must be named after payment_method.type (\(type)), found \(misplaced)"
                )
            }
        }
        return try method.object(type)
    }

    static func aplusMethod(_ aplus: FieldReader) throws(GatewayError) -> PaymentMethodSpec {
        guard try aplus.choice("flow", in: ["cashier"]) != nil else {
            throw .invalidParameter(aplus.name("flow"), "is required")
        }
        let presentment = try aplus.choice("presentment_mode", in: ["UNIFIED", "TILE"], default: "UNIFIED")!
        let wallet = try aplus.choice("payment_method", in: ["CONNECT_WALLET"] + aplusWallets, default: "CONNECT_WALLET")!
        if wallet != "CONNECT_WALLET", presentment != "TILE" {
            throw .invalidParameter(aplus.name("presentment_mode"), "must be TILE when payment_method names a wallet (\(wallet))")
        }
        let terminal = try aplus.choice("terminal_type", in: ["WEB", "WAP", "APP"])
        if wallet == "CONNECT_WALLET", terminal == nil {
            throw .invalidParameter(aplus.name("terminal_type"), "is required when payment_method is CONNECT_WALLET")
        }
        let os = try aplus.choice("os_type", in: ["IOS", "ANDROID"])
        if let terminal, terminal != "WEB", os == nil {
            throw .invalidParameter(aplus.name("os_type"), "is required when terminal_type is \(terminal)")
        }
        let settlement = try aplus.optionalString("settlement_currency")
        if let settlement, Currency(code: settlement) == nil {
            throw .invalidParameter(aplus.name("settlement_currency"), "must be a 3-letter ISO 4217 code in upper case")
        }
        return PaymentMethodSpec(
            channel: .aplus, flow: .cashier, wallet: wallet, presentmentMode: presentment,
            terminalType: terminal, osType: os, settlementCurrency: settlement
        )
    }

    static func alipayHKMethod(_ alipayhk: FieldReader, currency: Currency) throws(GatewayError) -> PaymentMethodSpec {
        guard let flowName = try alipayhk.choice("flow", in: ["csb_qrcode", "mobile_web"]) else {
            throw .invalidParameter(alipayhk.name("flow"), "is required")
        }
        guard let wallet = try alipayhk.choice("payment_method", in: alipayHKWallets) else {
            throw .invalidParameter(alipayhk.name("payment_method"), "is required")
        }
        guard currency.code == "HKD" else {
            throw .invalidParameter("currency", "alipayhk accepts HKD only")
        }
        return PaymentMethodSpec(channel: .alipayhk, flow: PaymentMethodSpec.Flow(rawValue: flowName)!, wallet: wallet)
    }

    static func parseAmount(_ fields: FieldReader, _ key: String, currency: Currency) throws(GatewayError) -> Money {
        let text = try fields.string(key, maxLength: 32)
        do {
            return try Money.parse(text, currency: currency)
        } catch {
            throw amountError(error, field: key, currency: currency)
        }
    }

    static func amountError(_ error: Money.ParseError, field key: String, currency: Currency) -> GatewayError {
        switch error {
        case .notADecimal:
            .invalidParameter(key, "must be a decimal string such as \"10.50\" (no sign, exponent or spaces)")
        case .tooManyDecimals(let allowed):
            .invalidParameter(key, "\(currency.code) allows at most \(allowed) decimal places")
        case .tooManyIntegerDigits:
            .invalidParameter(key, "must have at most 12 integer digits")
        case .notPositive:
            .invalidParameter(key, "must be greater than zero")
        }
    }

    /// A merchant's own reference: 1 to 32 letters, digits, `-` or `_`.
    public static func merchantReference(_ fields: FieldReader, _ key: String) throws(GatewayError) -> String {
        let value = try fields.string(key, maxLength: 32)
        guard value.utf8.allSatisfy(isReferenceByte) else {
            throw .invalidParameter(key, "may contain only letters, digits, - and _")
        }
        return value
    }

    /// ASCII letters, digits, `-` and `_`, judged byte by byte.
    static func isReferenceByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    /// The URL parsed strictly (`MerchantURL`), or 40001 naming the field and the rule broken.
    @discardableResult
    public static func requireHTTPURL(_ text: String, field: String) throws(GatewayError) -> MerchantURL {
        do {
            return try MerchantURL.parse(text)
        } catch {
            throw .invalidParameter(field, error.description)
        }
    }

    /// Seed 003: the return_url's host must be the merchant's registered H5 domain or a subdomain of it.
    static func checkReturnURLDomain(_ returnURL: MerchantURL, h5Domain: String?) throws(GatewayError) {
        guard let h5Domain, !h5Domain.isEmpty else {
            throw GatewayError(.rejected, "return_url: this merchant has no registered H5 domain")
        }
        guard returnURL.isWithin(domain: h5Domain) else {
            throw GatewayError(.rejected, "return_url: host must be \(h5Domain.lowercased()) or a subdomain of it")
        }
    }
}
