-- wrk: POST tools/list, as `bench --mix tools/list` does.
-- wrk -t1 -c8 -d3s -s benches/wrk/list.lua http://127.0.0.1:8000/mcp
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
