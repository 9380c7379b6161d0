using System.Text;
using System.Text.Json;
using GeminiHooks.Configuration;
using GeminiHooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Artifacts;

/// <summary>
/// Hands every line of every stored responses file to each <see cref="IBatchResultHandler"/>, in order, from the stored
/// copy. One loop per handler; a file is claimed per handler under a lease, and the checkpoint (lines handled) is saved
/// every <c>Artifacts:CheckpointLines</c> lines (or 15 s, which renews the lease) and at the end, so after a crash the pass resumes after the last saved
/// line: at most that many lines are handed over twice. A throwing handler stops at its line and retries it after a backoff.
/// </summary>
internal sealed partial class BatchResultFeeder(
    IEventStore store,
    IArtifactStore artifactStore,
    IEnumerable<BatchResultHandlerRegistration> registrations,
    IServiceScopeFactory scopes,
    ArtifactWakeup wakeup,
    ArtifactMetrics metrics,
    IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time,
    ILogger<BatchResultFeeder> logger) : BackgroundService
{
    static readonly JsonElement NotJson = JsonDocument.Parse("""{"code":-1,"message":"the line is not a JSON object"}""").RootElement;

    readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IArtifactRecords records)
            return Task.CompletedTask;
        return Task.WhenAll(registrations.Select(r => RunAsync(records, r, stoppingToken)));
    }

    async Task RunAsync(IArtifactRecords records, BatchResultHandlerRegistration handler, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!options.CurrentValue.Artifacts.Enabled)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                var now = time.GetUtcNow();
                var pass = await records.ClaimResultPassAsync(handler.Name, _owner, now, now + options.CurrentValue.Artifacts.Lease, stoppingToken);
                if (pass is null)
                {
                    await wakeup.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }
                await FeedAsync(records, handler, pass, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StoreUnavailableException e)
            {
                LogStoreUnavailable(logger, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One pass over one file; a throwing handler ends it early (the checkpoint then holds the lines before its line).</summary>
    async Task FeedAsync(IArtifactRecords records, BatchResultHandlerRegistration registration, ResultPass pass, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Artifacts;
        var artifact = pass.Artifact;
        await using var scope = scopes.CreateAsyncScope();
        var handler = (IBatchResultHandler)scope.ServiceProvider.GetRequiredService(registration.HandlerType);
        await using var stream = await artifactStore.OpenReadAsync(artifact.Location!, cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 20);
        long line = 0, handled = pass.Line, saved = pass.Line;
        // A checkpoint also every 15 s, so a slow handler renews its lease well before it runs out.
        var lastSave = System.Diagnostics.Stopwatch.StartNew();
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            line++;
            if (line <= pass.Line)
                continue;
            try
            {
                await HandleLineAsync(handler, artifact.Job, line, text, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var retryAt = time.GetUtcNow() + settings.RetryBaseDelay;
                await records.SaveCheckpointAsync(artifact.Id, registration.Name, _owner, handled, done: false, time.GetUtcNow(), retryAt,
                    $"line {line}: {e.GetType().Name}: {e.Message}", CancellationToken.None);
                metrics.Lines(registration.Name, handled - saved);
                LogHandlerFailed(logger, registration.Name, artifact.Job, line, e.GetType().Name);
                return;
            }
            handled = line;
            if (handled - saved >= settings.CheckpointLines || lastSave.Elapsed >= TimeSpan.FromSeconds(15))
            {
                lastSave.Restart();
                var now = time.GetUtcNow();
                if (!await records.SaveCheckpointAsync(artifact.Id, registration.Name, _owner, handled, done: false, now, now + settings.Lease, null, cancellationToken))
                    return; // taken over: the new holder goes on from the last saved line
                metrics.Lines(registration.Name, handled - saved);
                saved = handled;
            }
        }
        var end = time.GetUtcNow();
        await records.SaveCheckpointAsync(artifact.Id, registration.Name, _owner, handled, done: true, end, end, null, cancellationToken);
        metrics.Lines(registration.Name, handled - saved);
        LogPassDone(logger, registration.Name, artifact.Job, handled);
    }

    static async Task HandleLineAsync(IBatchResultHandler handler, string job, long lineNumber, string text, CancellationToken cancellationToken)
    {
        JsonDocument? document = null;
        try
        {
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
            }
            var root = document?.RootElement;
            if (root is not { ValueKind: JsonValueKind.Object } line)
            {
                await handler.HandleAsync(new BatchResult(job, null, lineNumber, null, NotJson), cancellationToken);
                return;
            }
            var key = line.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            var response = line.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.Object ? r : (JsonElement?)null;
            JsonElement? error = response is null
                ? line.TryGetProperty("error", out var e) ? e : line.TryGetProperty("status", out var s) ? s : NotJson
                : null;
            await handler.HandleAsync(new BatchResult(job, key, lineNumber, response, error), cancellationToken);
        }
        finally
        {
            document?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Result handler {Handler} finished {Job} ({Lines} lines)")]
    static partial void LogPassDone(ILogger logger, string handler, string job, long lines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result handler {Handler} threw {Failure} on line {Line} of {Job}; retrying from that line after a backoff")]
    static partial void LogHandlerFailed(ILogger logger, string handler, string job, long line, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result handlers: the store is unavailable ({Reason}); retrying")]
    static partial void LogStoreUnavailable(ILogger logger, string reason);
}
