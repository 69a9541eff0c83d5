#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging

/// The sandbox's daily settlement files (docs/settlement-formats.md): every payment and refund
/// that succeeded on a day, from its own books, written into the configured folder as the
/// providers lay out their SFTP, on demand and at the end of each day. Writing a day again
/// writes the same files (batch numbers come from the day, owner and currency).
actor SandboxSettlements {
    struct WrittenFile: Sendable {
        let path: String
        let kind: String
        let bytes: Int
    }

    enum Failure: Error, CustomStringConvertible {
        case off
        case unsafeOwner(String)
        case write(path: String, reason: String)

        var description: String {
            switch self {
            case .off: "settlement files are off: the sandbox has no settlement folder"
            case .unsafeOwner(let owner): "\(owner) cannot be a folder name"
            case .write(let path, let reason): "cannot write \(path): \(reason)"
            }
        }
    }

    let configuration: SandboxSettlementConfiguration
    let ledger: SandboxLedger
    let wapBook: SandboxWAPBook?
    /// AMS client ids and WAP partners: each gets its day's files, quiet days included.
    let customers: [String]
    let partners: [String]
    let logger: Logger
    private(set) var discrepancies: [SandboxSettlementDiscrepancy] = []

    init(
        configuration: SandboxSettlementConfiguration, ledger: SandboxLedger, wapBook: SandboxWAPBook?,
        customers: [String], partners: [String], logger: Logger
    ) {
        self.configuration = configuration
        self.ledger = ledger
        self.wapBook = wapBook
        self.customers = customers.sorted()
        self.partners = partners.sorted()
        self.logger = logger
    }

    /// Replaces the injected discrepancies; every later generation applies them.
    func setDiscrepancies(_ discrepancies: [SandboxSettlementDiscrepancy]) {
        self.discrepancies = discrepancies
    }

    /// Writes the files of `day` and lists them, paths relative to the folder.
    func generate(_ day: SandboxSettlementDay) async throws(Failure) -> [WrittenFile] {
        guard let folder = configuration.folder else { throw .off }
        let offset = configuration.utcOffsetSeconds
        let books = await books(of: day)
        let entries = SandboxSettlementDiscrepancy.apply(discrepancies, to: books, day: day, utcOffsetSeconds: offset)
            .sorted { ($0.time, $0.reference) < ($1.time, $1.reference) }
        var files: [SandboxSettlementFile] = []
        for customer in customers {
            guard Self.isSafe(customer) else { throw .unsafeOwner(customer) }
            files += SandboxAMSSettlementFiles(
                customerID: customer, day: day, entries: entries.filter { $0.owner == .ams(customerID: customer) },
                feeBasisPoints: configuration.feeBasisPoints, utcOffsetSeconds: offset
            ).files()
        }
        for partner in partners {
            guard Self.isSafe(partner) else { throw .unsafeOwner(partner) }
            files += SandboxWAPSettlementFiles(
                partner: partner, day: day, entries: entries.filter { $0.owner == .wap(partner: partner) },
                feeBasisPoints: configuration.feeBasisPoints, utcOffsetSeconds: offset
            ).files()
        }
        var written: [WrittenFile] = []
        for file in files {
            try Self.writeAtomically(Array(file.text.utf8), to: folder + "/" + file.path)
            written.append(WrittenFile(path: file.path, kind: file.kind, bytes: file.text.utf8.count))
        }
        return written
    }

    /// At each midnight of the settlement zone, the day that just ended; until cancelled.
    func runDaily() async {
        let offset = configuration.utcOffsetSeconds
        var day = SandboxSettlementDay(containing: configuration.clock.now(), utcOffsetSeconds: offset)
        while !Task.isCancelled {
            do {
                try await configuration.clock.sleep(until: day.end(utcOffsetSeconds: offset))
            } catch {
                return
            }
            do {
                let files = try await generate(day)
                logger.info("sandbox wrote the day's settlement files", metadata: ["date": "\(day)", "files": "\(files.count)"])
            } catch {
                logger.error("sandbox could not write the day's settlement files", metadata: ["date": "\(day)", "error": "\(error)"])
            }
            day = SandboxSettlementDay(containing: day.end(utcOffsetSeconds: offset), utcOffsetSeconds: offset)
        }
    }

    /// What succeeded on `day`: AMS payments by payment time and refunds by refund time (in the
    /// payment's settlement currency), WAP trades by payment time and their refunds by refund time.
    private func books(of day: SandboxSettlementDay) async -> [SandboxSettlementEntry] {
        let offset = configuration.utcOffsetSeconds
        let payments = await ledger.allPayments(now: Date())
        let byRequestID = Dictionary(payments.map { ($0.paymentRequestID, $0) }, uniquingKeysWith: { first, _ in first })
        var entries: [SandboxSettlementEntry] = []
        for payment in payments where payment.status == .success {
            guard let time = payment.paymentTime, day.contains(time, utcOffsetSeconds: offset) else { continue }
            entries.append(SandboxSettlementEntry(
                owner: .ams(customerID: payment.clientID), kind: .payment, providerID: payment.paymentID, originalProviderID: nil,
                reference: payment.paymentRequestID, originalReference: nil, currency: payment.currency, value: payment.value,
                settlementCurrency: payment.settlementCurrency ?? payment.currency, time: time,
                wallet: payment.walletUsed ?? payment.requestedWallet, productCode: payment.productCode
            ))
        }
        for refund in await ledger.allRefunds() where refund.status == .success {
            guard let time = refund.refundTime, day.contains(time, utcOffsetSeconds: offset),
                  let payment = byRequestID[refund.paymentRequestID] else { continue }
            entries.append(SandboxSettlementEntry(
                owner: .ams(customerID: payment.clientID), kind: .refund, providerID: refund.refundID, originalProviderID: payment.paymentID,
                reference: refund.refundRequestID, originalReference: payment.paymentRequestID, currency: refund.currency, value: refund.value,
                settlementCurrency: payment.settlementCurrency ?? payment.currency, time: time,
                wallet: payment.walletUsed ?? payment.requestedWallet, productCode: payment.productCode
            ))
        }
        for trade in await wapBook?.allTrades() ?? [] where trade.status == .finished {
            func entry(_ kind: SandboxSettlementEntry.Kind, reference: String, value: Int64, time: Date) -> SandboxSettlementEntry {
                SandboxSettlementEntry(
                    owner: .wap(partner: trade.partner), kind: kind, providerID: trade.tradeNo, originalProviderID: nil, reference: reference,
                    originalReference: kind == .refund ? trade.outTradeNo : nil, currency: trade.currency, value: value,
                    settlementCurrency: trade.currency, time: time, wallet: trade.paymentInst, productCode: SandboxWAPGateway.productCode
                )
            }
            if let time = trade.gmtPayment, day.contains(time, utcOffsetSeconds: offset) {
                entries.append(entry(.payment, reference: trade.outTradeNo, value: trade.totalFee, time: time))
            }
            for refund in trade.refunds where day.contains(refund.time, utcOffsetSeconds: offset) {
                entries.append(entry(.refund, reference: refund.outReturnNo, value: refund.amount, time: refund.time))
            }
        }
        return entries
    }

    /// Client ids and partner ids become folder names: letters, digits, `_`, `-`, `.` only.
    private static func isSafe(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ".")].contains($0)
        }
    }

    /// Written under a hidden temporary name beside the file, then renamed over it: a reader
    /// (an importer watching the folder) sees the old file or the whole new one, never a part.
    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: temporary)
        } catch {
            throw .write(path: path, reason: "\(error)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .write(path: path, reason: reason)
        }
    }
}
