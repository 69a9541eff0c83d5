#!/usr/bin/env bash
# Records the signed WAP gateway messages of this folder (providers.md §2) with python3's standard
# library (the signed content) and openssl (MD5 and SHA256withRSA), independently of the Swift code
# under test. Both signatures are deterministic: running this again reproduces every file byte for byte.
#
# Signing rule: every parameter but `sign` and `sign_type`, empty values left out, sorted by key in
# ASCII (byte) order, joined `k=v&k=v` with the raw values.
#   MD5  = lowercase hex MD5(content + md5_key.txt), no separator
#   RSA2 = standard base64 of SHA256withRSA (PKCS#1 v1.5) over the UTF-8 content
#
# Keys: md5_key.txt (the partner's shared MD5 key, 32 characters, no newline) and the RSA pairs of
# ../keys/: the merchant (partner) signs requests, the provider signs notifications.
set -euo pipefail
cd "$(dirname "$0")"

# sign <dir> <RSA signer: merchant|provider>
sign() {
    local dir=$1 signer=$2
    python3 - "$dir/params.json" "$dir/content.txt" <<'PY'
import json, sys
params = json.load(open(sys.argv[1], encoding="utf-8"))
items = sorted(((k, v) for k, v in params.items() if k not in ("sign", "sign_type") and v != ""),
               key=lambda kv: kv[0].encode("utf-8"))
open(sys.argv[2], "wb").write("&".join(f"{k}={v}" for k, v in items).encode("utf-8"))
PY
    { cat "$dir/content.txt"; cat md5_key.txt; } | openssl dgst -md5 -r | cut -d' ' -f1 | tr -d '\n' > "$dir/md5_sign.txt"
    openssl dgst -sha256 -sign "../keys/${signer}_private_key.pem" -out "$dir/signature.bin" "$dir/content.txt"
    openssl dgst -sha256 -verify "../keys/${signer}_public_key.pem" -signature "$dir/signature.bin" "$dir/content.txt" >/dev/null
    base64 -w0 "$dir/signature.bin" > "$dir/rsa2_sign.txt"
    rm "$dir/signature.bin"
}

# 1. The gateway's create_forex_trade_wap request (the parameters of the shopper's redirect URL):
#    non-ASCII subject, `&`, `=`, `+` and spaces in raw values, `_input_charset` sorting before the
#    lowercase keys, an empty timeout_rule left out. RSA2 by the merchant (partner) key.
sign create_request merchant

# 2. The provider's trade_status_sync notification for it: TRADE_FINISHED, 10.50 HKD. RSA2 by the provider key.
sign notification provider
