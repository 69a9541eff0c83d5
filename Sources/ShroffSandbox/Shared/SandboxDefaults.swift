/// The gateway as the sandbox knows it unless told otherwise: the embedded sandbox and `shroff
/// sandbox` both accept it, with the keys kept in the data folder.
public enum SandboxDefaults {
    /// The AMS client id the gateway uses against the embedded sandbox.
    public static let clientID = "SANDBOX_SHROFF_GATEWAY"
    /// The WAP partner id the gateway uses against the sandbox.
    public static let wapPartner = "2088101122136241"
}

/// The sandbox's key pairs in the data folder, created on first use.
public enum SandboxKeys {
    public static func load(dataDirectory: String) throws -> SandboxKeyring {
        try SandboxKeyring.loadOrCreate(folder: "\(dataDirectory)/sandbox-keys")
    }

    /// The gateway as the sandbox WAP gateway's partner, with both its MD5 key and its RSA key.
    public static func wapPartners(_ keys: SandboxKeyring) -> [String: SandboxWAPPartner] {
        [SandboxDefaults.wapPartner: SandboxWAPPartner(md5Key: keys.wapMD5Key, rsaPublicKeyPEM: keys.gatewayPublicKeyPEM)]
    }
}
