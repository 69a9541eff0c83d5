import Foundation

/// The shopper's decision, `trade_status_sync` notifications and the signed return URL.
extension SandboxWAPGateway {
    enum CompletionResult {
        case done(SandboxWAPTrade)
        case notFound
        case notWaiting(SandboxWAPTrade.Status)
    }

    /// Moves a waiting trade to its final state and notifies (except magic amount `…53` when paid).
    func complete(partner: String?, outTradeNo: String, outcome: SandboxWAPBook.Outcome) async -> CompletionResult {
        switch await book.complete(partner: partner, outTradeNo: outTradeNo, outcome: outcome, now: Date()) {
        case .success(let trade):
            if trade.status == .finished, trade.magic == .silentSuccess {
                logger.info("sandbox WAP notification suppressed by magic amount", metadata: ["out_trade_no": "\(trade.outTradeNo)"])
            } else {
                await notify(trade)
            }
            return .done(trade)
        case .failure(.notFound):
            return .notFound
        case .failure(.notWaiting(let status)):
            return .notWaiting(status)
        }
    }

    /// The signer of messages to this trade's partner: MD5 with the partner's key, or RSA2 with the provider's key.
    func signer(for trade: SandboxWAPTrade) -> SandboxWAPNotifier.Sign? {
        switch trade.signType {
        case .md5:
            guard let key = partners[trade.partner]?.md5Key else { return nil }
            return { WAPSigning.md5Sign($0, key: key) }
        case .rsa2:
            let key = providerKey
            return { try WAPSigning.rsa2Sign($0, key: key) }
        }
    }

    func notify(_ trade: SandboxWAPTrade) async {
        guard let sign = signer(for: trade) else {
            logger.error("sandbox WAP notification not sent: the partner has no key for its sign type", metadata: ["out_trade_no": "\(trade.outTradeNo)"])
            return
        }
        var fields = [
            "notify_type": "trade_status_sync", "out_trade_no": trade.outTradeNo, "trade_no": trade.tradeNo,
            "total_fee": trade.totalFeeText, "currency": trade.currency, "trade_status": trade.status.rawValue,
            "payment_inst": trade.paymentInst,
        ]
        if let time = trade.gmtPayment { fields["gmt_payment"] = WAPTime.text(time) }
        if let time = trade.gmtClose { fields["gmt_close"] = WAPTime.text(time) }
        let injected = await faults.take("trade_status_sync")
        switch injected?.fault {
        case .suppress?:
            logger.info("sandbox WAP notification suppressed by fault injection", metadata: ["out_trade_no": "\(trade.outTradeNo)"])
        case .duplicate?:
            await notifier.send(fields: fields, partner: trade.partner, signType: trade.signType, sign: sign, to: trade.notifyURL)
            await notifier.send(fields: fields, partner: trade.partner, signType: trade.signType, sign: sign, to: trade.notifyURL)
        default:
            await notifier.send(
                fields: fields, partner: trade.partner, signType: trade.signType, sign: sign, to: trade.notifyURL,
                delay: injected?.fault == .latency ? injected?.latency ?? .zero : .zero
            )
        }
    }

    /// The trade's return_url with the synchronous return parameters added and signed (over every
    /// query parameter the URL then carries, its own included); nil without a return_url.
    func signedReturnURL(_ trade: SandboxWAPTrade) -> String? {
        guard let returnURL = trade.returnURL, var components = URLComponents(string: returnURL),
              let sign = signer(for: trade) else { return nil }
        var fields = WAPSigning.parseForm(Substring(components.percentEncodedQuery ?? ""))?.fields ?? [:]
        fields["out_trade_no"] = trade.outTradeNo
        fields["trade_no"] = trade.tradeNo
        fields["trade_status"] = trade.status.rawValue
        fields["total_fee"] = trade.totalFeeText
        fields["currency"] = trade.currency
        fields.removeValue(forKey: "sign")
        fields.removeValue(forKey: "sign_type")
        guard let signature = try? sign(fields) else { return nil }
        fields["sign"] = signature
        fields["sign_type"] = trade.signType.rawValue
        components.percentEncodedQuery = WAPSigning.encodeForm(fields)
        return components.string
    }
}
