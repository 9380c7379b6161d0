using System.Buffers;
using System.Text.Json;
using GeminiHooks.Events;
using GeminiHooks.Files;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary>
/// An append-only file that holds each (endpoint, webhook-id) once. Runs repeat (replays, a lease that expired while
/// a handler was slow, a crash after the write but before the store heard of the success), so the file itself is the
/// record of what was written: its keys are read back on first use, and a line is on disk (flushed to the device)
/// before the run reports success. Concurrent appends share that flush: whoever holds the file writes every line
/// queued so far and syncs once for all of them (group flush), so the rate is not one device sync per event.
/// One process per file (see <see cref="JsonlFiles.TryLock"/>): two replicas appending to one file would each keep their own index.
/// </summary>
sealed class JsonlFile(string path) : IDisposable
{
    readonly SemaphoreSlim _lock = new(1, 1);
    readonly Lock _queueLock = new();
    List<PendingLine> _queue = [];
    HashSet<string>? _written; // keys whose line is on disk
    FileStream? _stream;

    public async Task AppendOnceAsync(GeminiEvent e, CancellationToken cancellationToken)
    {
        // Formatted before queueing, in parallel with other callers; only the write and the sync are serialized.
        var pending = new PendingLine(Key(e.Delivery.Endpoint, e.Delivery.WebhookId), Format(e));
        lock (_queueLock)
            _queue.Add(pending);
        try
        {
            await _lock.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Not written yet unless a batch already took it; either way the caller reports the run as interrupted,
            // and a later run is deduplicated by key.
            lock (_queueLock)
                _queue.Remove(pending);
            throw;
        }
        try
        {
            // Another holder may have written (and synced) our line while we waited.
            if (!pending.Completion.Task.IsCompleted)
                await WriteQueuedAsync();
        }
        finally
        {
            _lock.Release();
        }
        await pending.Completion.Task;
    }

    /// <summary>Under the file lock: writes every queued line not yet in the file, syncs once, answers each caller.</summary>
    async Task WriteQueuedAsync()
    {
        List<PendingLine> batch;
        lock (_queueLock)
        {
            batch = _queue;
            _queue = [];
        }
        List<string>? added = null;
        try
        {
            // Not the caller's token: the batch serves every caller in it.
            var stream = _stream ??= await OpenAsync(CancellationToken.None);
            foreach (var line in batch)
            {
                if (_written!.Contains(line.Key) || (added?.Contains(line.Key) ?? false))
                    continue;
                await stream.WriteAsync(line.Bytes);
                (added ??= []).Add(line.Key);
            }
            if (added is not null)
            {
                await stream.FlushAsync();
                stream.Flush(flushToDisk: true);
                _written!.UnionWith(added);
            }
            foreach (var line in batch)
                line.Completion.TrySetResult();
        }
        catch (Exception e)
        {
            // After a failed write the file may end in a partial line; reopening repairs it (see OpenAsync).
            if (_stream is not null)
            {
                await _stream.DisposeAsync();
                _stream = null;
            }
            foreach (var line in batch)
                line.Completion.TrySetException(e);
        }
    }

    sealed record PendingLine(string Key, ReadOnlyMemory<byte> Bytes)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    async Task<FileStream> OpenAsync(CancellationToken cancellationToken)
    {
        if (PrivateFiles.IsSymbolicLink(path))
            throw new IOException($"{path} is a symbolic link; the jsonl handler writes only a file it owns");
        PrivateFiles.CreateFolderFor(path);
        var written = new HashSet<string>(StringComparer.Ordinal);
        var endsWithNewline = true;
        if (File.Exists(path))
        {
            await foreach (var line in File.ReadLinesAsync(path, cancellationToken))
            {
                if (TryReadKey(line) is { } key)
                    written.Add(key);
            }
            var length = new FileInfo(path).Length;
            if (length > 0)
            {
                await using var tail = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                tail.Seek(-1, SeekOrigin.End);
                endsWithNewline = tail.ReadByte() == '\n';
            }
        }
        var stream = PrivateFiles.Open(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        if (!endsWithNewline)
        {
            // A crash mid-write left a partial line: end it, so it stays one unreadable line instead of corrupting the next.
            stream.WriteByte((byte)'\n');
            await stream.FlushAsync(cancellationToken);
        }
        // Lines read back count as written from now on: make sure they are on disk (after a failed sync they may not be).
        if (written.Count > 0 || !endsWithNewline)
            stream.Flush(flushToDisk: true);
        _written = written;
        return stream;
    }

    static string? TryReadKey(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object &&
                   root.TryGetProperty("endpoint", out var endpoint) && endpoint.ValueKind == JsonValueKind.String &&
                   root.TryGetProperty("webhook_id", out var id) && id.ValueKind == JsonValueKind.String
                ? Key(endpoint.GetString()!, id.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string Key(string endpoint, string webhookId) => endpoint + "\n" + webhookId;

    /// <summary>The delivery metadata around the original event, re-written compactly so it fits on one line.</summary>
    static ReadOnlyMemory<byte> Format(GeminiEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(e.RawBody.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("endpoint", e.Delivery.Endpoint);
            writer.WriteString("webhook_id", e.Delivery.WebhookId);
            writer.WriteNumber("webhook_timestamp", e.Delivery.WebhookTimestamp.ToUnixTimeSeconds());
            writer.WriteString("received_at", e.Delivery.ReceivedAt);
            writer.WriteString("type", e.Type);
            // A body with strings that are not valid Unicode cannot be re-written as JSON text; the archive keeps it
            // anyway, as the exact bytes in base64.
            if (EnvelopeReader.IsUnicodeJson(e.RawBody.Span))
            {
                writer.WritePropertyName("event");
                using var body = JsonDocument.Parse(e.RawBody);
                body.RootElement.WriteTo(writer);
            }
            else
                writer.WriteBase64String("event_base64", e.RawBody.Span);
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenMemory;
    }

    public void Dispose()
    {
        _stream?.Dispose();
        _lock.Dispose();
    }
}
