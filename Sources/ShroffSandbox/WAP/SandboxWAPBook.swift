import Foundation

/// A `create_forex_trade_wap` trade as the emulated WAP gateway keeps it.
public struct SandboxWAPTrade: Sendable, Equatable {
    public enum Status: String, Sendable {
        case waitBuyerPay = "WAIT_BUYER_PAY"
        case finished = "TRADE_FINISHED"
        case closed = "TRADE_CLOSED"
    }

    public struct Refund: Sendable, Equatable {
        public let outReturnNo: String
        /// Minor units.
        public let amount: Int64
        public let currency: String
        public let reason: String?
        public let gmtReturn: String
        public let time: Date
    }

    public let partner: String
    public let outTradeNo: String
    public let tradeNo: String
    /// How the trade was created; its notifications are signed the same way.
    let signType: WAPSigning.SignType
    public let currency: String
    /// Minor units.
    public let totalFee: Int64
    public let paymentInst: String
    public let subject: String?
    public let body: String?
    public let notifyURL: String
    public let returnURL: String?
    public let timeoutRule: String
    public let createTime: Date
    public let expiresAt: Date
    public var status: Status
    public var gmtPayment: Date?
    public var gmtClose: Date?
    /// Why a closed trade closed: `USER_BALANCE_NOT_ENOUGH`, `BUYER_DECLINED`, `BUYER_CANCELLED`,
    /// `MERCHANT_CLOSED` (close_trade) or `TIMEOUT` (timeout_rule).
    public var closeReason: String?
    public var refunds: [Refund] = []

    public var totalFeeText: String { WAPMoney.text(totalFee, currency: currency) }
    public var refundedAmount: Int64 { refunds.reduce(0) { $0 + $1.amount } }
    var magic: MagicAmount { MagicAmount(minorUnits: totalFee) }
}

/// The sandbox WAP gateway's trades (by partner and out_trade_no) and the notify ids it issued.
actor SandboxWAPBook {
    struct CreateRequest: Sendable {
        let partner: String
        let outTradeNo: String
        let signType: WAPSigning.SignType
        let currency: String
        let totalFee: Int64
        let paymentInst: String
        let subject: String?
        let body: String?
        let notifyURL: String
        let returnURL: String?
        let timeoutRule: String
        let timeout: Duration
    }

    enum CreateOutcome: Sendable, Equatable {
        /// New, or the same trade asked again (same currency, total_fee and payment_inst).
        case trade(SandboxWAPTrade)
        /// The out_trade_no is taken by a trade with another amount, currency or wallet.
        case conflict(SandboxWAPTrade)
    }

    private var trades: [Key: SandboxWAPTrade] = [:]
    /// out_trade_no → the partners using it, most recent last (simulate has no partner).
    private var partnersByOutTradeNo: [String: [String]] = [:]
    private var keysByTradeNo: [String: Key] = [:]
    private var notifyIDs: [String: (partner: String, issued: Date)] = [:]
    private var sequence: UInt64 = 0

    private struct Key: Hashable {
        let partner: String
        let outTradeNo: String
    }

    func create(_ request: CreateRequest, now: Date) -> CreateOutcome {
        let key = Key(partner: request.partner, outTradeNo: request.outTradeNo)
        if var existing = trades[key] {
            expireIfDue(&existing, now: now)
            trades[key] = existing
            let same = existing.currency == request.currency && existing.totalFee == request.totalFee
                && existing.paymentInst == request.paymentInst
            return same ? .trade(existing) : .conflict(existing)
        }
        sequence += 1
        // 28 digits like the provider's: date, a fixed channel part, then a serial with some noise.
        let serial = String(format: "%06llu%06llu", sequence % 1_000_000, UInt64.random(in: 0..<1_000_000))
        let trade = SandboxWAPTrade(
            partner: request.partner, outTradeNo: request.outTradeNo, tradeNo: WAPTime.day(now) + "21001004" + serial,
            signType: request.signType, currency: request.currency, totalFee: request.totalFee, paymentInst: request.paymentInst,
            subject: request.subject, body: request.body, notifyURL: request.notifyURL, returnURL: request.returnURL,
            timeoutRule: request.timeoutRule, createTime: now,
            expiresAt: now.addingTimeInterval(Double(request.timeout.components.seconds)), status: .waitBuyerPay
        )
        trades[key] = trade
        partnersByOutTradeNo[request.outTradeNo, default: []].append(request.partner)
        keysByTradeNo[trade.tradeNo] = key
        return .trade(trade)
    }

    /// A partner's trade by out_trade_no or trade_no, expired first if its time is up.
    func trade(partner: String?, outTradeNo: String?, tradeNo: String?, now: Date) -> SandboxWAPTrade? {
        guard let key = find(partner: partner, outTradeNo: outTradeNo, tradeNo: tradeNo), var trade = trades[key] else { return nil }
        expireIfDue(&trade, now: now)
        trades[key] = trade
        return trade
    }

    /// Every trade, oldest first (the day's settlement files take the paid ones, which never expire).
    func allTrades() -> [SandboxWAPTrade] {
        trades.values.sorted { ($0.createTime, $0.tradeNo) < ($1.createTime, $1.tradeNo) }
    }

    private func find(partner: String?, outTradeNo: String?, tradeNo: String?) -> Key? {
        if let outTradeNo, !outTradeNo.isEmpty {
            guard let partner = partner ?? partnersByOutTradeNo[outTradeNo]?.last else { return nil }
            let key = Key(partner: partner, outTradeNo: outTradeNo)
            return trades[key] == nil ? nil : key
        }
        if let tradeNo, let key = keysByTradeNo[tradeNo], partner == nil || key.partner == partner { return key }
        return nil
    }

    private func expireIfDue(_ trade: inout SandboxWAPTrade, now: Date) {
        if trade.status == .waitBuyerPay, now >= trade.expiresAt {
            trade.status = .closed
            trade.gmtClose = trade.expiresAt
            trade.closeReason = "TIMEOUT"
        }
    }

    enum Outcome: String, Sendable {
        case success, fail, cancel
    }

    enum CompletionError: Error, Equatable {
        case notFound
        case notWaiting(SandboxWAPTrade.Status)
    }

    /// The shopper's decision (the page's buttons or `simulate`). A `…51` amount is declined.
    func complete(partner: String?, outTradeNo: String, outcome: Outcome, now: Date) -> Result<SandboxWAPTrade, CompletionError> {
        guard let key = find(partner: partner, outTradeNo: outTradeNo, tradeNo: nil), var trade = trades[key] else {
            return .failure(.notFound)
        }
        expireIfDue(&trade, now: now)
        guard trade.status == .waitBuyerPay else {
            trades[key] = trade
            return .failure(.notWaiting(trade.status))
        }
        switch outcome {
        case .success where trade.magic == .declined:
            trade.status = .closed
            trade.gmtClose = now
            trade.closeReason = "USER_BALANCE_NOT_ENOUGH"
        case .success:
            trade.status = .finished
            trade.gmtPayment = now
        case .fail:
            trade.status = .closed
            trade.gmtClose = now
            trade.closeReason = "BUYER_DECLINED"
        case .cancel:
            trade.status = .closed
            trade.gmtClose = now
            trade.closeReason = "BUYER_CANCELLED"
        }
        trades[key] = trade
        return .success(trade)
    }

    enum CloseOutcome: Sendable, Equatable {
        case closed(SandboxWAPTrade)
        case failed(code: String)
    }

    /// `close_trade`: an unpaid trade closes; closing a closed one succeeds again; a paid one cannot.
    func close(partner: String, outTradeNo: String?, tradeNo: String?, now: Date) -> CloseOutcome {
        guard let key = find(partner: partner, outTradeNo: outTradeNo, tradeNo: tradeNo), var trade = trades[key] else {
            return .failed(code: "TRADE_NOT_EXIST")
        }
        expireIfDue(&trade, now: now)
        switch trade.status {
        case .finished:
            trades[key] = trade
            return .failed(code: "TRADE_STATUS_NOT_AVAILD")
        case .closed:
            trades[key] = trade
            return .closed(trade)
        case .waitBuyerPay:
            trade.status = .closed
            trade.gmtClose = now
            trade.closeReason = "MERCHANT_CLOSED"
            trades[key] = trade
            return .closed(trade)
        }
    }

    struct RefundRequest: Sendable {
        let partner: String
        let outTradeNo: String
        let outReturnNo: String
        let amount: Int64
        let currency: String
        let reason: String?
        let gmtReturn: String
    }

    enum RefundOutcome: Sendable, Equatable {
        /// Refunded now, or the same out_return_no asked again with the same amount.
        case refunded(SandboxWAPTrade, SandboxWAPTrade.Refund)
        case failed(code: String)
    }

    /// `forex_refund`: idempotent on out_return_no (per partner), paid trades only, never more than
    /// the total, in the trade's currency.
    func refund(_ request: RefundRequest, now: Date) -> RefundOutcome {
        for (key, trade) in trades where key.partner == request.partner {
            guard let earlier = trade.refunds.first(where: { $0.outReturnNo == request.outReturnNo }) else { continue }
            let same = trade.outTradeNo == request.outTradeNo && earlier.amount == request.amount && earlier.currency == request.currency
            return same ? .refunded(trade, earlier) : .failed(code: "DUPLICATE_OUT_RETURN_NO")
        }
        guard let key = find(partner: request.partner, outTradeNo: request.outTradeNo, tradeNo: nil), var trade = trades[key] else {
            return .failed(code: "TRADE_NOT_EXIST")
        }
        expireIfDue(&trade, now: now)
        trades[key] = trade
        guard trade.status == .finished else { return .failed(code: "TRADE_STATUS_NOT_AVAILD") }
        guard request.currency == trade.currency else { return .failed(code: "CURRENCY_NOT_SAME") }
        guard trade.refundedAmount + request.amount <= trade.totalFee else { return .failed(code: "RETURN_AMOUNT_EXCEED") }
        let refund = SandboxWAPTrade.Refund(
            outReturnNo: request.outReturnNo, amount: request.amount, currency: request.currency, reason: request.reason,
            gmtReturn: request.gmtReturn, time: now
        )
        trade.refunds.append(refund)
        trades[key] = trade
        return .refunded(trade, refund)
    }

    // MARK: notify_verify

    /// How long `notify_verify` confirms a notify id.
    static let notifyIDLifetime: TimeInterval = 15 * 60

    func issueNotifyID(partner: String, now: Date) -> String {
        // Forget expired ids so the table stays small.
        notifyIDs = notifyIDs.filter { now.timeIntervalSince($0.value.issued) < Self.notifyIDLifetime }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        let id = String((0..<32).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        notifyIDs[id] = (partner, now)
        return id
    }

    func verifyNotifyID(_ id: String, partner: String, now: Date) -> Bool {
        guard let issued = notifyIDs[id] else { return false }
        return issued.partner == partner && now.timeIntervalSince(issued.issued) < Self.notifyIDLifetime
    }
}
