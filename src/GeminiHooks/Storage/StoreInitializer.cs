using GeminiHooks.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeminiHooks.Storage;

/// <summary>
/// Creates or migrates the schema before the server listens. A local SQLite file that cannot be opened stops the start
/// (that is a setting to fix); a server store that cannot be reached is retried in the background every
/// <c>Store:RetryAfter</c> while the service answers 503 (see <see cref="StoreStartup"/>).
/// </summary>
sealed partial class StoreInitializer(IEventStore store, StoreStartup startup, IOptionsMonitor<GeminiHooksOptions> options,
    TimeProvider time, ILogger<StoreInitializer> logger) : IHostedService, IDisposable
{
    readonly CancellationTokenSource _stopping = new();
    Task _retrying = Task.CompletedTask;
    bool _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.InitializeAsync(cancellationToken);
            startup.MarkInitialized();
        }
        catch (StoreUnavailableException e) when (!string.Equals(options.CurrentValue.Store.Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            LogUnavailableAtStart(logger, e.Message);
            _retrying = Task.Run(() => RetryAsync(_stopping.Token), CancellationToken.None);
        }
        catch (StoreUnavailableException e)
        {
            // Reported like any other bad setting: one line naming the key, exit code 2, no stack trace.
            throw new OptionsValidationException(GeminiHooksOptions.SectionName, typeof(GeminiHooksOptions),
                [$"{GeminiHooksOptions.SectionName}:Store:ConnectionString: the SQLite database {SqliteDataSource()} " +
                 $"cannot be opened or written ({e.InnerException?.Message ?? e.Message}); check the path and its permissions"]);
        }
    }

    /// <summary>The file named in the connection string, never the whole string (it may carry a password).</summary>
    string SqliteDataSource()
    {
        try
        {
            return $"'{new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.CurrentValue.Store.ConnectionString).DataSource}'";
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }

    async Task RetryAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CurrentValue.Store.RetryAfter, time, stopping);
                await store.InitializeAsync(stopping);
                startup.MarkInitialized();
                LogInitialized(logger);
                return;
            }
            catch (StoreUnavailableException)
            {
                // Still unreachable: the next attempt follows after Store:RetryAfter.
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed))
            return; // a host may dispose its services before (or instead of) stopping them
        await _stopping.CancelAsync();
        await _retrying.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "The event store cannot be reached at start ({Reason}); not ready, deliveries are answered 503 until it can")]
    static partial void LogUnavailableAtStart(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The event store is reachable and initialised; ready")]
    static partial void LogInitialized(ILogger logger);
}
