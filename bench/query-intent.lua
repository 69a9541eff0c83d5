-- wrk script: queries one payment intent over and over (the merchant API's read path).
-- Arguments: the Bearer token, then the order_id.
function init(args)
   token = args[1]
   body = string.format('{"order_id":"%s"}', args[2])
end

function request()
   return wrk.format("POST", "/mch-api/v1/pa/payment_intents/query",
      { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function done(summary, latency, requests)
   local failed = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
   io.write(string.format("RESULT requests=%d failed=%d seconds=%.2f rate=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
      summary.requests, failed, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
