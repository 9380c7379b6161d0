#!/usr/bin/env python3
"""Where the CPU of the service goes: reads `perf script` output (stdin) of a perf record taken under load and puts
every sample in one bucket: the concern named by the frame nearest the leaf (so kernel time under a SQLite commit
counts for the store, and a socket send under Kestrel for Kestrel); a sample under no concern goes to a generic bucket
(kernel TCP, scheduler, GC, runtime) the same way. Prints one markdown table row per bucket.
Used by bench/run.sh when PROFILE=1; the JIT frames resolve through the runtime's perf map (DOTNET_PerfMapEnabled=1)."""
import collections
import re
import sys

CONCERNS = [
    ("thread pool spin-waiting for work", [r"sched_yield", r"LowLevelLifoSemaphore"]),
    ("per-delivery log line (Serilog, console writer)", [r"Serilog", r"BufferedConsoleSink", r"LogDelivery"]),
    ("store: SQLite, group commit", [r"sqlite3", r"Microsoft\.Data\.Sqlite", r"SqliteEventStore", r"GroupCommitQueue",
                                     r"PendingAccept", r"SQLitePCL", r"libe_sqlite3", r"Npgsql", r"PostgresEventStore"]),
    ("disk writes and flushes (kernel, virtio)", [r"ext4_", r"jbd2", r"blk_", r"virtio", r"vp_notify", r"iowrite16",
                                                  r"file_write_and_wait", r"vfs_write", r"fsync"]),
    ("signature check (HMAC-SHA256)", [r"StandardWebhooks", r"HMAC", r"libcrypto", r"Cryptography"]),
    ("envelope read (JSON type, text rules)", [r"EnvelopeReader", r"Utf8JsonReader", r"StoredText"]),
    ("metrics and traces (OpenTelemetry, Activity)", [r"OpenTelemetry", r"System\.Diagnostics\.Activity", r"Metrics",
                                                      r"HostingApplicationDiagnostics", r"DiagnosticListener"]),
    ("ingest endpoint (headers, body, answer)", [r"IngestEndpoint", r"RecentDeliveries"]),
    ("middleware (routing, rate limiting, error handlers)", [r"RateLimit", r"Routing", r"ExceptionHandler",
                                                             r"StatusCodePages", r"GeminiHooks\.Server\.", r"ForwardedHeaders",
                                                             r"EndpointMiddleware"]),
    ("Kestrel: HTTP/1.1 parsing, pipes, response", [r"Kestrel", r"System\.IO\.Pipelines", r"HttpProtocol"]),
    ("dispatcher", [r"GeminiHooksDispatcher", r"ClaimAsync"]),
]
GENERIC = [
    ("sockets (kernel TCP, epoll)", [r"tcp_", r"inet_", r"sock_", r"epoll", r"SocketAsync", r"System\.Net\.Sockets",
                                     r"__send", r"__libc_recv", r"ip_"]),
    ("thread switches (kernel scheduler)", [r"__schedule", r"finish_task_switch", r"try_to_wake_up", r"futex"]),
    ("garbage collector", [r"gc_heap", r"GCHeap", r"WKS::", r"SVR::"]),
    (".NET runtime (stubs, JIT, type checks)", [r"libcoreclr", r"libclrjit", r"CastHelpers", r"System\.Private\.CoreLib"]),
]


def compiled(buckets):
    return [(name, [re.compile(p) for p in patterns]) for name, patterns in buckets]


PASSES = [compiled(CONCERNS), compiled(GENERIC)]


def bucket(frames):
    for buckets in PASSES:
        for frame in frames:  # leaf first
            for name, patterns in buckets:
                if any(p.search(frame) for p in patterns):
                    return name
    return "other (libc, kernel)"


def main():
    counts = collections.Counter()
    frames = []
    for line in sys.stdin:
        if not line.strip():
            if frames:
                counts[bucket(frames)] += 1
            frames = []
        elif line[0] in " \t":
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
    if frames:
        counts[bucket(frames)] += 1
    total = sum(counts.values()) or 1
    for name, count in counts.most_common():
        print(f"| {name} | {100 * count / total:.1f}% |")
    print(f"| (samples) | {total} |")


if __name__ == "__main__":
    main()
