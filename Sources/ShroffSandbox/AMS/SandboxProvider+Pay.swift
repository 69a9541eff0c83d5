import Foundation

/// `pay` and `inquiryPayment`.
extension SandboxProvider {
    func pay(_ json: [String: Any], clientID: String) async -> [String: Any] {
        let amount = json["paymentAmount"] as? [String: Any]
        let factor = json["paymentFactor"] as? [String: Any]
        let order = json["order"] as? [String: Any]
        let env = order?["env"] as? [String: Any]
        guard let requestID = json["paymentRequestId"] as? String, !requestID.isEmpty, requestID.count <= 64,
              let productCode = json["productCode"] as? String,
              let currency = amount?["currency"] as? String, let value = Self.minorUnits(amount?["value"]), value > 0,
              let wallet = (json["paymentMethod"] as? [String: Any])?["paymentMethodType"] as? String
        else {
            return Self.result("F", "PARAM_ILLEGAL", "paymentRequestId, productCode, paymentAmount and paymentMethod are required.")
        }
        switch productCode {
        case "CASHIER_PAYMENT":
            guard let terminal = env?["terminalType"] as? String, ["WEB", "WAP", "APP"].contains(terminal) else {
                return Self.result("F", "PARAM_ILLEGAL", "order.env.terminalType is required for cashier payments.")
            }
            if terminal != "WEB", env?["osType"] == nil {
                return Self.result("F", "PARAM_ILLEGAL", "order.env.osType is required when terminalType is not WEB.")
            }
        case "IN_STORE_PAYMENT":
            guard factor?["inStorePaymentScenario"] as? String == "OrderCode" else {
                return Self.result("F", "PARAM_ILLEGAL", "paymentFactor.inStorePaymentScenario must be OrderCode.")
            }
        default:
            return Self.result("F", "PARAM_ILLEGAL", "productCode is not supported by the sandbox.")
        }
        let request = SandboxLedger.PayRequest(
            paymentRequestID: requestID, clientID: clientID, productCode: productCode, currency: currency, value: value,
            wallet: wallet, presentmentMode: factor?["presentmentMode"] as? String,
            notifyURL: json["paymentNotifyUrl"] as? String, redirectURL: json["paymentRedirectUrl"] as? String,
            expiresAt: (json["paymentExpiryTime"] as? String).flatMap(Self.parseTime),
            settlementCurrency: (json["settlementStrategy"] as? [String: Any])?["settlementCurrency"] as? String,
            merchantName: (order?["merchant"] as? [String: Any])?["merchantName"] as? String,
            orderDescription: order?["orderDescription"] as? String
        )
        switch await ledger.pay(request, now: Date()) {
        case .awaitingShopper(let payment):
            var answer = Self.result("U", "PAYMENT_IN_PROCESS", "The payment is being processed.")
            answer.merge(Self.paymentFields(payment)) { $1 }
            let magic = MagicAmount(minorUnits: payment.value)
            if payment.isOrderCode {
                var form: [String: Any] = [
                    "codeDetails": magic == .barcodeOnly
                        ? [["codeValueType": "BARCODE", "displayType": "SMALLIMAGE", "codeValue": orderCodeValue(payment)]]
                        : [["codeValueType": "QRCODE", "displayType": "BIGIMAGE", "codeValue": orderCodeValue(payment)]],
                ]
                if let expiresAt = payment.expiresAt { form["expireTime"] = Self.isoTime(expiresAt) }
                answer["orderCodeForm"] = form
            } else if magic == .postRedirect {
                // The page takes the form fields posted to it (seed 002: method and parameters).
                answer["redirectActionForm"] = [
                    "method": "POST", "redirectUrl": "\(configuration.publicBaseURL)/sandbox/cashier/\(payment.paymentID)",
                    "parameters": String(decoding: Self.json(["paymentId": payment.paymentID, "channel": "sandbox"]), as: UTF8.self),
                ]
            } else {
                answer["redirectActionForm"] = [
                    "method": "GET", "redirectUrl": "\(configuration.publicBaseURL)/sandbox/cashier/\(payment.paymentID)",
                ]
            }
            return answer
        case .alreadyPaid(let payment):
            var answer = Self.result("S", "SUCCESS", "Success")
            answer.merge(Self.paymentFields(payment)) { $1 }
            return answer
        case .failed(let code, let message):
            return Self.result("F", code, message)
        case .unknown(let code, let message):
            return Self.result("U", code, message)
        }
    }

    func inquire(_ json: [String: Any]) async -> [String: Any] {
        guard let payment = await ledger.payment(
            requestID: json["paymentRequestId"] as? String, paymentID: json["paymentId"] as? String, now: Date()
        ) else {
            return Self.result("F", "ORDER_NOT_EXIST", "The order does not exist.")
        }
        var answer = Self.result("S", "SUCCESS", "Success")
        answer.merge(Self.paymentFields(payment)) { $1 }
        answer["paymentStatus"] = payment.status.rawValue
        if let code = payment.resultCode { answer["paymentResultCode"] = code }
        if let wallet = payment.walletUsed { answer["paymentMethodType"] = wallet }
        if payment.status == .success {
            answer["grossSettlementAmount"] = ["currency": payment.settlementCurrency ?? payment.currency, "value": String(payment.value)]
        }
        return answer
    }
}
