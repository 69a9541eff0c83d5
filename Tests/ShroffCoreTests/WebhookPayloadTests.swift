import Foundation
import Testing
@testable import ShroffCore

@Suite("WebhookPayload")
struct WebhookPayloadTests {
    let hongKong = TimestampFormat(utcOffsetSeconds: 8 * 3600)

    /// The intent behind seed 000's example webhook.
    func seedIntent() -> PaymentIntent {
        var intent = sampleIntent(status: .succeeded)
        intent.orderID = "C14042731016700000"
        intent.merchantUID = 12009321
        intent.merchantOrderID = "P19050854100199000000"
        intent.amount = Money(minorUnits: 50000, currency: Currency(code: "KRW")!)
        intent.createTime = Date(timeIntervalSince1970: 1_743_042_731) // 2025-03-27T10:32:11+08:00
        intent.payTime = Date(timeIntervalSince1970: 1_743_042_752) // 2025-03-27T10:32:32+08:00
        intent.settleCurrency = "USD"
        return intent
    }

    func decode(_ body: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(body.utf8))
    }

    @Test("payment_success carries exactly seed 000's data keys, uid as a JSON number")
    func paymentSuccess() throws {
        let time = Date(timeIntervalSince1970: 1_743_042_760)
        let event = WebhookPayload.event(.paymentSuccess, for: seedIntent(), at: time, timestamps: hongKong)
        let document = try decode(event.body)
        #expect(Set(document.keys) == ["notify_type", "data"])
        #expect(document["notify_type"] == .string("payment_success"))
        guard case .object(let data)? = document["data"] else {
            Issue.record("data is not an object: \(event.body)"); return
        }
        #expect(Set(data.keys) == [
            "settle_currency", "create_time", "pay_time", "uid", "order_id", "merchant_order_id", "order_amount", "order_currency",
        ])
        #expect(data["uid"] == .number("12009321"))
        #expect(event.body.contains("\"uid\":12009321"))
        #expect(data["order_id"] == .string("C14042731016700000"))
        #expect(data["merchant_order_id"] == .string("P19050854100199000000"))
        #expect(data["order_amount"] == .string("50000"))
        #expect(data["order_currency"] == .string("KRW"))
        #expect(data["settle_currency"] == .string("USD"))
        #expect(data["create_time"] == .string("2025-03-27T10:32:11.000+08:00"))
        #expect(data["pay_time"] == .string("2025-03-27T10:32:32.000+08:00"))

        #expect(event.kind == .paymentSuccess)
        #expect(event.orderID == "C14042731016700000")
        #expect(event.merchantUID == 12009321)
        #expect(event.createdAt == time)
        #expect(event.id.hasPrefix("msg_"))
    }

    @Test("order_amount is the shortest decimal in major units")
    func orderAmount() throws {
        var intent = seedIntent()
        intent.amount = Money(minorUnits: 1050, currency: Currency(code: "HKD")!)
        let event = WebhookPayload.event(.paymentSuccess, for: intent, at: Date(), timestamps: hongKong)
        guard case .object(let data)? = try decode(event.body)["data"] else { Issue.record("no data"); return }
        #expect(data["order_amount"] == .string("10.5"))
        #expect(data["order_currency"] == .string("HKD"))
    }

    @Test("settle_currency falls back to the requested settlement currency, then to the order currency")
    func settleCurrencyFallback() throws {
        var intent = seedIntent()
        intent.settleCurrency = nil
        intent.method.settlementCurrency = "HKD"
        var event = WebhookPayload.event(.paymentSuccess, for: intent, at: Date(), timestamps: hongKong)
        guard case .object(let first)? = try decode(event.body)["data"] else { Issue.record("no data"); return }
        #expect(first["settle_currency"] == .string("HKD"))
        intent.method.settlementCurrency = nil
        event = WebhookPayload.event(.paymentSuccess, for: intent, at: Date(), timestamps: hongKong)
        guard case .object(let second)? = try decode(event.body)["data"] else { Issue.record("no data"); return }
        #expect(second["settle_currency"] == .string("KRW"))
    }

    @Test("payment_cancelled names its type and the intent")
    func paymentCancelled() throws {
        var intent = seedIntent()
        intent.status = .cancelled
        intent.payTime = nil
        intent.failureCode = "USER_BALANCE_NOT_ENOUGH"
        let event = WebhookPayload.event(.paymentCancelled, for: intent, at: Date(timeIntervalSince1970: 1_743_042_800), timestamps: hongKong)
        let document = try decode(event.body)
        #expect(document["notify_type"] == .string("payment_cancelled"))
        guard case .object(let data)? = document["data"] else { Issue.record("no data"); return }
        #expect(data["order_id"] == .string("C14042731016700000"))
        #expect(data["merchant_order_id"] == .string("P19050854100199000000"))
        #expect(data["uid"] == .number("12009321"))
        #expect(data["pay_time"] == nil)
        #expect(event.kind == .paymentCancelled)
    }

    @Test("every event has its own id")
    func distinctIDs() {
        let ids = (0..<200).map { _ in WebhookPayload.event(.paymentSuccess, for: seedIntent(), at: Date(), timestamps: hongKong).id }
        #expect(Set(ids).count == ids.count)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("RFC 3339 with milliseconds in the configured offset")
    func format() {
        let date = Date(timeIntervalSince1970: 1_693_428_245.928)
        #expect(TimestampFormat(utcOffsetSeconds: 8 * 3600).string(from: date) == "2023-08-31T04:44:05.928+08:00")
        #expect(TimestampFormat(utcOffsetSeconds: 0).string(from: date) == "2023-08-30T20:44:05.928+00:00")
        #expect(TimestampFormat(utcOffsetSeconds: -(5 * 3600 + 1800)).string(from: date) == "2023-08-30T15:14:05.928-05:30")
    }

    @Test("a time stored as milliseconds is written with those milliseconds")
    func millisecondsExact() {
        let format = TimestampFormat(utcOffsetSeconds: 8 * 3600)
        var wrong: [Int64] = []
        for millis in Int64(1_693_428_245_000)...Int64(1_693_428_245_999) {
            let date = Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
            let text = format.string(from: date)
            let written = text.split(separator: ".")[1].prefix(3)
            if written != String(format: "%03d", Int(millis % 1000)) { wrong.append(millis) }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of 1000 millisecond values written wrongly, e.g. \(wrong.prefix(5))")
    }

    @Test("written times parse back")
    func roundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_693_428_245.5)
        let text = TimestampFormat(utcOffsetSeconds: 8 * 3600).string(from: date)
        #expect(try #require(TimestampFormat.parse(text)) == date)
        #expect(TimestampFormat.parse("2025-03-27T10:32:11+08:00") == Date(timeIntervalSince1970: 1_743_042_731))
        #expect(TimestampFormat.parse("2025-03-27 10:32:11") == nil)
    }

    @Test("offsets are read as +hh:mm, -hh:mm or Z")
    func offsets() {
        #expect(TimestampFormat(offset: "+08:00")?.utcOffsetSeconds == 28_800)
        #expect(TimestampFormat(offset: "-05:30")?.utcOffsetSeconds == -19_800)
        #expect(TimestampFormat(offset: "Z")?.utcOffsetSeconds == 0)
        #expect(TimestampFormat(offset: "08:00") == nil)
        #expect(TimestampFormat(offset: "+8:00") == nil)
        #expect(TimestampFormat(offset: "+15:00") == nil)
        #expect(TimestampFormat(offset: "+08:60") == nil)
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test("payment intent ids start with C, are at most 32 characters and unique")
    func paymentIntentIDs() {
        let now = Date()
        let ids = (0..<1000).map { _ in Identifier.paymentIntent(at: now) }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(10) {
            #expect(id.hasPrefix("C"))
            #expect(id.count <= 32)
            let digitsOnly = id.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
            #expect(digitsOnly)
        }
    }

    @Test("refund ids start with R and are at most 32 characters")
    func refundIDs() {
        let id = Identifier.refund(at: Date())
        #expect(id.hasPrefix("R"))
        #expect(id.count <= 32)
    }
}

/// The hand-written formatter and parser against Foundation's calendar and ISO 8601 parser.
@Suite("Timestamps against Foundation")
struct TimestampReferenceTests {
    /// Foundation's calendar for the date and time of day; the milliseconds from the integer count, as
    /// the gateway stores times (shifting a binary float by the offset first can lose one).
    static func reference(millis: Int64, offset: Int) -> String {
        let local = millis + Int64(offset) * 1000
        let seconds = local >= 0 ? local / 1000 : (local - 999) / 1000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds))
        )
        let sign = offset < 0 ? "-" : "+"
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, Int(local - seconds * 1000))
            + sign + String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) % 3600 / 60)
    }

    @Test("formatting agrees with Foundation's calendar on 20,000 random times and offsets")
    func formatAgrees() {
        var generator = SystemRandomNumberGenerator()
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            let millis = Int64.random(in: 0...4_102_444_800_000, using: &generator)  // 1970 … 2100
            let offset = [0, 8 * 3600, -(5 * 3600 + 1800), 14 * 3600, -12 * 3600, 5 * 3600 + 2700].randomElement(using: &generator)!
            let date = Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
            let written = TimestampFormat(utcOffsetSeconds: offset).string(from: date)
            let expected = Self.reference(millis: millis, offset: offset)
            if written != expected { disagreements.append("\(written) ≠ \(expected)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    @Test("parsing agrees with ISO8601DateFormatter, and what is written parses back to the millisecond")
    func parseAgrees() throws {
        var generator = SystemRandomNumberGenerator()
        let foundation = ISO8601DateFormatter()
        foundation.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for _ in 0..<5_000 {
            let millis = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            let date = Date(timeIntervalSince1970: TimeInterval(millis) / 1000)
            let text = TimestampFormat(utcOffsetSeconds: 8 * 3600).string(from: date)
            let parsed = try #require(TimestampFormat.parse(text))
            #expect(Int64((parsed.timeIntervalSince1970 * 1000).rounded()) == millis, "\(text)")
            let reference = try #require(foundation.date(from: text))
            #expect(abs(parsed.timeIntervalSince(reference)) < 0.0005, "\(text)")
        }
        #expect(TimestampFormat.parse("2024-07-02T12:02:30+08:00") == Date(timeIntervalSince1970: 1_719_892_950))
        #expect(TimestampFormat.parse("2024-07-02T04:02:30Z") == Date(timeIntervalSince1970: 1_719_892_950))
        for bad in ["2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-07-02T24:00:00Z",
                    "2024-07-02 12:02:30+08:00", "2024-07-02T12:02:30", "2024-07-02T12:02:30.Z", "2024-07-02T12:02:30+0800",
                    "2024-07-02T12:02:30+15:00", "２024-07-02T12:02:30Z", "2024-07-02T12:02:30Z "] {
            #expect(TimestampFormat.parse(bad) == nil, "\(bad)")
        }
        #expect(TimestampFormat.parse("2024-02-29T00:00:00Z") != nil)
    }
}
