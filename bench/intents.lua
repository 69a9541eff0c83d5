-- wrk script for bench/run. Arguments: the Bearer token, then either
--   create PREFIX    payment intent creates (seed 001, alipayhk csb_qrcode, HKD 10.50), each with a
--                    merchant_order_id of its own: a new intent and a signed provider call each time
--   query ORDER_ID   queries of one intent over and over (the merchant API's read path)
--   healthz -        GET /healthz: the HTTP server's own ceiling in the same process
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

function init(args)
   headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. args[1] }
   mode = args[2]
   argument = args[3]
   sent = 0
end

function request()
   if mode == "healthz" then
      return wrk.format("GET", "/healthz")
   end
   if mode == "query" then
      return wrk.format("POST", "/mch-api/v1/pa/payment_intents/query", headers,
         string.format('{"order_id":"%s"}', argument))
   end
   sent = sent + 1
   local body = string.format(
      '{"amount":"10.50","currency":"HKD","merchant_order_id":"%s-%d-%d",'
      .. '"payment_method":{"type":"alipayhk","alipayhk":{"flow":"csb_qrcode","payment_method":"ALIPAYHK"}},'
      .. '"description":"Benchmark"}',
      argument, thread_number, sent)
   return wrk.format("POST", "/mch-api/v1/pa/payment_intents/create", headers, body)
end

function done(summary, latency, requests)
   local failed = summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout
   io.write(string.format("RESULT requests=%d failed=%d seconds=%.2f rate=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
      summary.requests, failed, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
