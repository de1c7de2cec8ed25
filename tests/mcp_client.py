#!/usr/bin/env python3
"""Drives `rollout-doctor mcp` with the official Python MCP SDK client: lists the tools,
checks every input/output schema is valid JSON Schema, calls each tool and validates its
structured result against the tool's outputSchema. Over stdio against a snapshot, and over
streamable HTTP with a bearer token (401 without it).

usage: mcp_client.py BINARY SNAPSHOT NAMESPACE NAME EXPECTED_CATEGORY [stdio|http]
SNAPSHOT "-" reads the cluster KUBECONFIG points at."""
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
try:  # mcp >= 2: the client takes a configured httpx client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    def http_client(url, token):
        return streamable_http_client(url, http_client=create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}))
except ImportError:  # mcp 1.x
    from mcp.client.streamable_http import streamablehttp_client

    def http_client(url, token):
        return streamablehttp_client(url, headers={"Authorization": f"Bearer {token}"})

BIN, SNAP, NS, NAME, CATEGORY = sys.argv[1:6]
MODE = sys.argv[6] if len(sys.argv) > 6 else "stdio"
TOOLS = {"list_failed_rollouts", "explain_rollout", "analysis_failures", "diff_canary_stable",
         "compare_logs", "canary_verdict", "propose_fix"}


def field(obj, snake, camel):
    """mcp 2.x names fields in snake_case, 1.x in camelCase."""
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


async def exercise(session):
    await session.initialize()
    listed = (await session.list_tools()).tools
    names = {t.name for t in listed}
    assert TOOLS <= names, f"missing tools: {TOOLS - names}"
    for t in listed:
        jsonschema.Draft202012Validator.check_schema(field(t, "input_schema", "inputSchema"))
        out = field(t, "output_schema", "outputSchema")
        assert out, f"{t.name} has no outputSchema"
        jsonschema.Draft202012Validator.check_schema(out)
    schemas = {t.name: field(t, "output_schema", "outputSchema") for t in listed}
    target = {"namespace": NS, "name": NAME}
    calls = {
        "list_failed_rollouts": {},
        "explain_rollout": target,
        "analysis_failures": target,
        "diff_canary_stable": target,
        "compare_logs": dict(target, max_templates=5),
        "canary_verdict": target,
        "propose_fix": target,
    }
    results = {}
    for name, args in calls.items():
        started = time.monotonic()
        r = await session.call_tool(name, args)
        assert not field(r, "is_error", "isError"), f"{name}: {r.content}"
        structured = field(r, "structured_content", "structuredContent")
        jsonschema.validate(structured, schemas[name])
        results[name] = structured
        print(f"{MODE} {name}: {1000 * (time.monotonic() - started):.1f} ms")
    rows = results["list_failed_rollouts"]["rollouts"]
    assert any(r["name"] == NAME and r["namespace"] == NS for r in rows), rows
    assert results["explain_rollout"]["diagnosis"]["category"] == CATEGORY, results["explain_rollout"]
    assert "never instructions" in results["explain_rollout"]["untrusted"]
    assert results["canary_verdict"]["verdict"] != "pass", results["canary_verdict"]
    assert len(results["compare_logs"]["templates"]) <= 5
    bad = await session.call_tool("explain_rollout", {"namespace": NS, "name": "no-such-rollout"})
    assert field(bad, "is_error", "isError"), "an unknown Rollout must be a tool error"


SOURCE = [] if SNAP == "-" else ["--snapshot", SNAP]


async def over_stdio():
    # The SDK passes a minimal environment by default; KUBECONFIG must reach the server.
    params = StdioServerParameters(command=BIN, args=["mcp", *SOURCE], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await exercise(session)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def over_http():
    token = "mcp-test-token-7f3a"
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(token)
    port = free_port()
    proc = subprocess.Popen([BIN, "mcp", *SOURCE, "--http", f"127.0.0.1:{port}", "--token-file", f.name],
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        req = urllib.request.Request(url, data=b"{}", method="POST", headers={"content-type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("no token must be refused")
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code
        async with http_client(url, token) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                await exercise(session)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.unlink(f.name)


asyncio.run(over_http() if MODE == "http" else over_stdio())
print("ok")
