import Logging

extension Logger {
    /// A copy whose records carry `key: value` (the `component` of a background service or sandbox part).
    func with(metadata key: String, _ value: String) -> Logger {
        var copy = self
        copy[metadataKey: key] = .string(value)
        return copy
    }
}
