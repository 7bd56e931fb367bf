-- wrk script for GET /v1/deals?customer_id=N&limit=100: customer ids spread over
-- 1..BENCH_N by the same fixed permutation as read.lua (a multiplicative step, each wrk
-- thread at its own offset), so every run asks for the same customers in the same
-- order.  Customers gen.sql archives (id % 1000 = 500) are skipped: their deals are
-- hidden, and every request should be a 200 with the customer's deals (about
-- BENCH_DEALS / BENCH_N of them).
--
-- Environment: BENCH_N (customer count, default 100000), BENCH_AUTH (value of the
-- Authorization header, omitted when empty).  done() prints one machine-readable line:
--   BENCH requests=R duration_us=D rps=X p50_us=A p99_us=B non2xx=N sockerr=E

local n = tonumber(os.getenv("BENCH_N") or "") or 100000
local auth = os.getenv("BENCH_AUTH") or ""
if auth ~= "" then
	wrk.headers["Authorization"] = auth
end

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
	local id = (offset + counter * step) % n + 1
	if id % 1000 == 500 then
		id = id % n + 1
	end
	return wrk.format("GET", "/v1/deals?customer_id=" .. id .. "&limit=100")
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
