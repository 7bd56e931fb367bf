-- wrk script for POST /v1/deals: each request creates one deal for a live customer
-- (ids spread over 1..BENCH_N by read.lua's permutation, archived ones skipped), in
-- the first stage of one of the four seeded pipelines, with one of gen.sql's products
-- (none for one request in 8), an amount and for one in 3 a recurring MRR.  The bodies
-- are a function of the thread and request number only, so every run sends the same
-- sequence; no body has an external_id, so runs can repeat against one database and
-- every request should be a 201.
--
-- wrk.method, wrk.body and wrk.headers are set as well as the per-request ones
-- (PITFALLS: a POST script must also give wrk.path, which wrk.format gets here).
--
-- Environment: BENCH_N (customer count, default 100000), BENCH_AUTH (value of the
-- Authorization header, omitted when empty).  done() prints one machine-readable line:
--   BENCH requests=R duration_us=D rps=X p50_us=A p99_us=B non2xx=N sockerr=E

local n = tonumber(os.getenv("BENCH_N") or "") or 100000
local auth = os.getenv("BENCH_AUTH") or ""

wrk.method = "POST"
wrk.path = "/v1/deals"
wrk.headers["Content-Type"] = "application/json"
if auth ~= "" then
	wrk.headers["Authorization"] = auth
end
wrk.body = '{"customer_id":1,"pipeline":"new_business"}'

local pipelines = {"new_business", "new_business", "upsell", "cross_sell", "renewal"}
local products = {"bench-crm-standard", "bench-crm-premium", "bench-analytics-standard",
                  "bench-support-basic", "bench-consulting", "bench-gateway",
                  "bench-training-online"}

local threads = {}
local counter = 0
local offset = 0
local step = 48271 -- prime, and not a factor of any n the benches use

function setup(thread)
	thread:set("bench_offset", #threads * 7919)
	table.insert(threads, thread)
end

function init(args)
	offset = tonumber(bench_offset) or 0
end

function request()
	counter = counter + 1
	local k = offset + counter
	local id = (offset + counter * step) % n + 1
	if id % 1000 == 500 then
		id = id % n + 1
	end
	local body = string.format('{"customer_id":%d,"pipeline":"%s","amount":%d', id,
		pipelines[k % #pipelines + 1], 100 * (500 + (k * 7907) % 200000))
	if k % 8 ~= 0 then
		body = body .. string.format(',"product":"%s"', products[k % #products + 1])
	end
	if k % 3 == 0 then
		body = body .. string.format(',"revenue_type":"recurring","mrr":%d',
			100 * (50 + (k * 131) % 5000))
	end
	body = body .. string.format(',"expected_close_date":"2027-%02d-%02d"}',
		k % 12 + 1, k % 28 + 1)
	return wrk.format("POST", "/v1/deals", nil, body)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d sockerr=%d\n",
		summary.requests, summary.duration,
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99), e.status,
		e.connect + e.read + e.write + e.timeout))
end
