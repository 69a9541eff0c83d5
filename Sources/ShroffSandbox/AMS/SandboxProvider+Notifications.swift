import Foundation

/// Completing payments and sending `notifyPayment` (and other) notifications.
extension SandboxProvider {
    /// `notifyPayment` for a payment that reached a final state.
    func notificationBody(_ payment: SandboxPayment) -> [UInt8] {
        var body = Self.paymentFields(payment)
        body["notifyType"] = "PAYMENT_RESULT"
        if payment.status == .success {
            body["result"] = ["resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"]
            body["paymentMethodType"] = payment.walletUsed ?? payment.requestedWallet
            let settlement = payment.settlementCurrency ?? payment.currency
            if settlement == payment.currency {
                body["grossSettlementAmount"] = ["currency": settlement, "value": String(payment.value)]
                body["settlementQuote"] = ["currency": settlement, "price": "1"]
            } else {
                // The sandbox has no exchange rates: it names the settlement currency and no amount.
                body["settlementQuote"] = ["currency": settlement]
            }
        } else {
            body["result"] = ["resultCode": payment.resultCode ?? "PROCESS_FAIL", "resultStatus": "F", "resultMessage": "payment failed"]
        }
        return Self.json(body)
    }

    /// Moves a payment to its final state and schedules the notification (unless magic amount `…53`).
    func complete(requestID: String, outcome: SandboxLedger.Outcome, wallet: String?) async -> Result<SandboxPayment, SandboxLedger.CompletionError> {
        let result = await ledger.complete(requestID: requestID, outcome: outcome, wallet: wallet, now: Date())
        if case .success(let payment) = result, let url = payment.notifyURL {
            if MagicAmount(minorUnits: payment.value) == .silentSuccess, payment.status == .success {
                logger.info("sandbox notification suppressed by magic amount", metadata: ["payment_request_id": "\(requestID)"])
            } else {
                await notify("notifyPayment", body: notificationBody(payment), to: url, clientID: payment.clientID, reference: requestID)
            }
        }
        return result
    }

    /// Sends a notification, unless a fault suppresses it, duplicates it or holds it back.
    func notify(_ operation: String, body: [UInt8], to url: String, clientID: String, reference: String) async {
        let injected = await faults.take(operation)
        switch injected?.fault {
        case .suppress?:
            logger.info("sandbox notification suppressed by fault injection", metadata: ["reference": "\(reference)"])
        case .latency?:
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference, delay: injected?.latency ?? .zero)
        case .duplicate?:
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference)
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference)
        default:
            await notifier.send(body: body, to: url, clientID: clientID, reference: reference)
        }
    }
}
