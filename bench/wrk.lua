-- wrk script for bench/run.py: counts responses by status and prints one JSON line.
--
--   wrk -t1 -c8 -d5s -s bench/wrk.lua URL -- [requests.tsv OFFSET HOST ORIGIN]
--
-- Without arguments every request is wrk's own (URL, -H headers). With a file, each line
-- "path<TAB>cookies<TAB>csrf-token" becomes one POST (logged in, with CSRF), taken in
-- order from line OFFSET + 1, so that no request is sent twice in a run.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  issued = 0
  posts = nil
  local file = args[1]
  if file and file ~= "" then
    posts = {}
    local host, origin = args[3], args[4]
    for line in io.lines(file) do
      local path, cookie, token = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)$")
      if path then
        local headers = {}
        for k, v in pairs(wrk.headers) do headers[k] = v end
        headers["Host"] = host
        headers["Origin"] = origin
        headers["Cookie"] = cookie
        headers["X-CSRFToken"] = token
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        table.insert(posts, wrk.format("POST", path, headers, "csrfmiddlewaretoken=" .. token))
      end
    end
    sent = tonumber(args[2]) or 0
  end
end

function request()
  issued = issued + 1
  if posts then
    sent = sent + 1
    return posts[((sent - 1) % #posts) + 1]
  end
  return wrk.request()
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local statuses = {}
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = sent + thread:get("issued")
    for status, n in pairs(thread:get("counts")) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"sent": %d, "requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status_errors": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}}\n',
    sent, summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ", ")))
end
