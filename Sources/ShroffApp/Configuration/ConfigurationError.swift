/// A setting that cannot be used; names the setting, never its secret value.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
