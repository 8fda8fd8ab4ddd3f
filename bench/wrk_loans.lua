-- wrk script for bench_http: each thread is one member who borrows its own title and returns it at once.
-- BENCH_TOKENS holds the members' access tokens (comma-separated); member n borrows book BENCH_FIRST_BOOK + n - 1.
local started = 0

function setup(thread)
  started = started + 1
  thread:set("member", started)
end

function init(args)
  local all = {}
  for value in string.gmatch(os.getenv("BENCH_TOKENS"), "[^,]+") do
    table.insert(all, value)
  end
  headers = {["Authorization"] = "Bearer " .. all[member], ["Content-Type"] = "application/json"}
  borrow = '{"book_id": ' .. (tonumber(os.getenv("BENCH_FIRST_BOOK")) + member - 1) .. '}'
  loan = nil
end

function request()
  if loan then
    return wrk.format("POST", "/loans/" .. loan .. "/return", headers, "")
  end
  return wrk.format("POST", "/loans", headers, borrow)
end

function response(status, response_headers, body)
  if loan then
    loan = nil
  elseif status == 201 then
    loan = string.match(body, '"id":%s*(%d+)')
  end
end
