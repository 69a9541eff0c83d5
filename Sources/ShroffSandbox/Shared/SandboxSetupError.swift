/// A provider-side configuration problem; never includes key material.
public struct SandboxSetupError: Error, CustomStringConvertible {
    public let description: String
}
