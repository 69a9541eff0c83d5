#!/usr/bin/env bash
# Records the signed AMS messages of this folder with openssl and jq only, so that the expected
# signatures are derived from providers.md §1 independently of the Swift code under test.
#
# The key pairs were generated once (do not regenerate: the recorded signatures depend on them):
#   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out keys/<who>_private_key.pem   # PKCS#8
#   openssl pkey -in keys/<who>_private_key.pem -pubout -out keys/<who>_public_key.pem             # X.509 SPKI
# for <who> = merchant (signs the gateway's requests) and provider (signs answers and notifications).
#
# RSA256 = SHA256withRSA with PKCS#1 v1.5 padding, which is deterministic: running this script again
# reproduces the same files byte for byte.
set -euo pipefail
cd "$(dirname "$0")"

# record <dir> <signing key> <path> <client-id> <time> <body file> <header names: content-type client-id time signature>
record() {
    local dir=$1 key=$2 path=$3 client=$4 time=$5 body=$6
    local h_type=$7 h_client=$8 h_time=$9 h_signature=${10}
    mkdir -p "$dir"
    [ "$body" = "$dir/body.json" ] || cp "$body" "$dir/body.json"
    # Content to sign: "POST <path>\n<client-id>.<time>.<raw body>"
    { printf 'POST %s\n%s.%s.' "$path" "$client" "$time"; cat "$dir/body.json"; } > "$dir/content.txt"
    openssl dgst -sha256 -sign "keys/${key}_private_key.pem" -out "$dir/signature.bin" "$dir/content.txt"
    openssl dgst -sha256 -verify "keys/${key}_public_key.pem" -signature "$dir/signature.bin" "$dir/content.txt" >/dev/null
    # Standard base64, then + / = percent-encoded.
    local encoded
    encoded=$(base64 -w0 "$dir/signature.bin" | sed -e 's/+/%2B/g' -e 's#/#%2F#g' -e 's/=/%3D/g')
    rm "$dir/signature.bin"
    jq -n --arg path "$path" --arg key "$key" \
        --arg ht "$h_type" --arg hc "$h_client" --arg hti "$h_time" --arg hs "$h_signature" \
        --arg client "$client" --arg time "$time" \
        --arg signature "algorithm=RSA256,keyVersion=1,signature=$encoded" \
        '{path: $path, signedBy: $key, clientId: $client, time: $time, signature: $signature,
          headers: [[$ht, "application/json; charset=UTF-8"], [$hc, $client], [$hti, $time], [$hs, $signature]]}' \
        > "$dir/message.json"
}

# 1. The gateway's pay request (cashier), as the client sends it: Request-Time in epoch milliseconds.
record signed_pay_request merchant /ams/api/v1/payments/pay 5YEF9Z2ZSHROFF01 1719892800000 \
    pay_request_cashier.json Content-Type Client-Id Request-Time Signature

# 2. The provider's answer to it: U / PAYMENT_IN_PROCESS with the cashier redirect, lowercase headers,
#    signed over the request's path and the ISO 8601 response-time.
mkdir -p signed_pay_response
printf '%s' '{"paymentAmount":{"currency":"USD","value":"100"},"paymentCreateTime":"2024-07-02T12:00:01+08:00","paymentId":"20240702120001000001","paymentRequestId":"ord_20240702120000_0001","redirectActionForm":{"method":"GET","redirectUrl":"https://open-sea-global.alipay.com/cashier/20240702120001000001"},"result":{"resultCode":"PAYMENT_IN_PROCESS","resultMessage":"The payment is being processed.","resultStatus":"U"}}' \
    > signed_pay_response/body.json
record signed_pay_response provider /ams/api/v1/payments/pay 5YEF9Z2ZSHROFF01 2024-07-02T12:00:01+08:00 \
    signed_pay_response/body.json content-type client-id response-time signature

# 3. The provider's notifyPayment to the gateway's notify URL: success, 1.00 USD.
mkdir -p notify_payment
printf '%s' '{"grossSettlementAmount":{"currency":"USD","value":"100"},"notifyType":"PAYMENT_RESULT","paymentAmount":{"currency":"USD","value":"100"},"paymentCreateTime":"2024-07-02T12:00:01+08:00","paymentId":"20240702120001000001","paymentMethodType":"ALIPAY_HK","paymentRequestId":"ord_20240702120000_0001","paymentTime":"2024-07-02T12:02:30+08:00","result":{"resultCode":"SUCCESS","resultMessage":"success","resultStatus":"S"},"settlementQuote":{"currency":"USD","price":"1"}}' \
    > notify_payment/body.json
record notify_payment provider /provider/ams/notify 5YEF9Z2ZSHROFF01 2024-07-02T12:02:31+08:00 \
    notify_payment/body.json content-type client-id request-time signature
