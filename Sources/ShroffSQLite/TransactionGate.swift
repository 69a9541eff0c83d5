/// A first-come first-served async lock. The embedded database has one connection; a transaction
/// holds the gate across its awaits so no other statement can run inside it.
actor TransactionGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            // The gate stays busy: ownership passes straight to the next waiter.
            waiters.removeFirst().resume()
        }
    }
}
