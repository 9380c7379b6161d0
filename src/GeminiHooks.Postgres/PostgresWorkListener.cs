using Microsoft.Extensions.Logging;
using Npgsql;

namespace GeminiHooks.Postgres;

/// <summary>
/// Holds one connection that LISTENs on <see cref="Channel"/> and turns every notification into a local wake-up.
/// After a failure it reconnects with exponential backoff; notifications sent while it was away are lost, so a
/// reconnect itself wakes the dispatchers once.
/// </summary>
sealed partial class PostgresWorkListener : IAsyncDisposable
{
    /// <summary>The LISTEN/NOTIFY channel; a constant so that every replica of every version hears every other.</summary>
    public const string Channel = "geminihooks_work";

    // The reconnect backoff is about the network, not about business time, so it runs on the real clock: a
    // FakeTimeProvider in tests must not freeze reconnection.
    static readonly TimeSpan BackoffMin = TimeSpan.FromMilliseconds(250);
    static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(10);

    readonly NpgsqlDataSource _source;
    readonly Action _wake;
    readonly ILogger _logger;
    readonly CancellationTokenSource _stopping = new();
    readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    Task? _loop;

    public PostgresWorkListener(string connectionString, bool keepaliveGiven, Action wake, ILogger logger)
    {
        // The listener holds its connection for the store's lifetime, outside the pool (a pooled connection would be
        // reset with DISCARD ALL, which also UNLISTENs). Keepalives make a silently dropped connection fail, so the
        // loop reconnects instead of waiting forever for notifications that cannot arrive.
        var listen = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Multiplexing = false };
        if (!keepaliveGiven)
            listen.KeepAlive = 15;
        _source = NpgsqlDataSource.Create(listen.ConnectionString);
        _wake = wake;
        _logger = logger;
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);

    /// <summary>
    /// Waits until the first LISTEN is in place. Should listening fail, the store still works: dispatchers then find
    /// work at their next poll.
    /// </summary>
    public async Task WaitListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _listening.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogNotReady(_logger);
        }
    }

    async Task RunAsync(CancellationToken stopping)
    {
        var backoff = BackoffMin;
        var connectedBefore = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(stopping);
                connection.Notification += (_, _) => _wake();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stopping);
                if (connectedBefore)
                {
                    LogRestored(_logger);
                    _wake();
                }
                connectedBefore = true;
                backoff = BackoffMin;
                _listening.TrySetResult();
                while (true)
                    await connection.WaitAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(_logger, e.Message, backoff);
                try
                {
                    await Task.Delay(backoff, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, BackoffMax.Ticks));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
            await _loop;
        await _source.DisposeAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for work notifications failed ({Reason}); retrying in {Backoff}")]
    static partial void LogFailed(ILogger logger, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for work notifications again")]
    static partial void LogRestored(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not yet listening for work notifications; dispatchers poll until it works")]
    static partial void LogNotReady(ILogger logger);
}
