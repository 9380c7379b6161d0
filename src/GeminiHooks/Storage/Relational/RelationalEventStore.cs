using System.Data;
using System.Data.Common;
using GeminiHooks.Configuration;
using GeminiHooks.Storage.Kit;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Storage.Relational;

/// <summary>
/// The store as both built-in databases implement it: every behaviour (argument and key rules, group commit, handler
/// de-duplication, work signalling, paging, replays, job outcomes) lives here once, written against ADO.NET; a dialect
/// supplies its SQL where the two databases differ and a few hooks: how it connects and writes, how it recognises a
/// refused row or a lost database, how it stores a time, and (optionally) a faster way to write a whole batch.
/// Split by concern: accepts (<c>.Accept.cs</c>), dispatch (<c>.Dispatch.cs</c>), reads and cleanup
/// (<c>.Events.cs</c>), jobs (<c>.Jobs.cs</c>). Shared SQL uses <c>@name</c> parameters, which both SQLite and Npgsql read.
/// </summary>
public abstract partial class RelationalEventStore : IEventStore
{
    readonly StoreLifetime _lifetime = new();
    readonly WorkSignal _workSignal = new();
    GroupCommitQueue<PendingWrite>? _accepts;
    GroupCommitQueue<PendingWrite>? _outcomes;

    protected RelationalEventStore(StoreOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options;
        Time = time;
        Logger = logger;
    }

    protected StoreOptions Options { get; }
    protected TimeProvider Time { get; }
    protected ILogger Logger { get; }

    // ---- what a dialect supplies ----

    /// <summary>Creates or migrates the schema and opens whatever the dialect keeps open (a writer, a listener).</summary>
    protected abstract Task InitializeDatabaseAsync(CancellationToken cancellationToken);

    /// <summary>An open connection of its own, for reads (and, by default, for writes).</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Closes what <see cref="InitializeDatabaseAsync"/> opened.</summary>
    protected abstract ValueTask DisposeDatabaseAsync();

    /// <summary>True when the database refused this write because of its data: retrying cannot help.</summary>
    protected abstract bool IsDataError(Exception exception);

    /// <summary>True when the database could not be reached or used: the caller should retry later.</summary>
    protected abstract bool IsUnavailable(Exception exception);

    /// <summary>Told of every failure <see cref="IsUnavailable"/> recognised (e.g. to drop pooled connections).</summary>
    protected virtual void OnUnavailable(Exception exception) { }

    /// <summary>How the dialect binds a time (Unix milliseconds, or a timestamp type).</summary>
    protected abstract void SetTime(DbParameter parameter, DateTimeOffset value);

    /// <summary>Reads a time written through <see cref="SetTime"/>.</summary>
    protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>
    /// True when the database has one writer (SQLite): run outcomes then share the accepts' queue, so one transaction
    /// and one sync serve both.
    /// </summary>
    protected virtual bool HasSingleWriter => false;

    /// <summary>Appended to a SELECT that reads rows a transaction then changes (PostgreSQL: <c>FOR NO KEY UPDATE</c>).</summary>
    protected virtual string LockRowsClause => "";

    /// <summary>Appended to the SELECT that picks rows to delete, so concurrent writers pass over each other.</summary>
    protected virtual string SkipLockedClause => "";

    /// <summary>The ORDER BY term for handler names, byte order whatever the database's collation.</summary>
    protected virtual string HandlerNameOrder => "handler";

    /// <summary>Tells other processes that new work is there, inside the transaction that made it (no-op by default).</summary>
    protected virtual Task NotifyWorkAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    /// <summary>
    /// Runs <paramref name="work"/> as one write: by default on a connection of its own, in a transaction unless
    /// <paramref name="singleStatement"/> (one statement is a transaction of its own). A single-writer dialect
    /// overrides it to serialise writes.
    /// </summary>
    protected virtual async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, bool singleStatement,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (singleStatement)
            return await work(connection, null).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    // ---- lifetime ----

    public virtual Task InitializeAsync(CancellationToken cancellationToken) => _lifetime.InitializeOnceAsync(async ct =>
    {
        await GuardAsync(async () =>
        {
            await InitializeDatabaseAsync(ct).ConfigureAwait(false);
            return 0;
        }, ct).ConfigureAwait(false);
        var maxBatch = Options.GroupCommit ? Options.MaxBatch : 1;
        _accepts ??= new GroupCommitQueue<PendingWrite>(maxBatch, CommitAsync, LogCommitFailed);
        _outcomes ??= HasSingleWriter ? _accepts : new GroupCommitQueue<PendingWrite>(maxBatch, CommitAsync, LogCommitFailed);
        _accepts.Start();
        _outcomes.Start();
    }, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        await using var command = Command(connection, null, "SELECT 1 FROM events LIMIT 1");
        await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return 0;
    }, cancellationToken);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _workSignal.WaitAsync(timeout, Time, cancellationToken);

    /// <summary>Wakes this process's dispatchers (another process's notification, or work this store made).</summary>
    protected void SignalWork() => _workSignal.Set();

    public async ValueTask DisposeAsync()
    {
        if (!_lifetime.TryBeginDispose())
            return;
        if (_accepts is not null)
            await _accepts.StopAsync().ConfigureAwait(false);
        if (_outcomes is not null && !ReferenceEquals(_outcomes, _accepts))
            await _outcomes.StopAsync().ConfigureAwait(false);
        await DisposeAcceptRowCommandsAsync().ConfigureAwait(false);
        await DisposeDatabaseAsync().ConfigureAwait(false);
        _lifetime.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- running statements ----

    /// <summary>Runs a read on a connection of its own.</summary>
    protected Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        GuardAsync(async () =>
        {
            await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Runs a write (see <see cref="WriteAsync{T}"/>) with failures sorted as <see cref="GuardAsync{T}"/> does.</summary>
    protected Task<T> GuardedWriteAsync<T>(Func<DbConnection, DbTransaction?, Task<T>> work, CancellationToken cancellationToken,
        bool singleStatement = false) =>
        GuardAsync(() => WriteAsync(work, singleStatement, cancellationToken), cancellationToken);

    /// <summary>
    /// Sorts database failures by what the sender should do: data the database refuses becomes
    /// <see cref="StoreRejectedException"/> (retrying cannot help); a database that cannot be reached or used becomes
    /// <see cref="StoreUnavailableException"/> (503, retry later). The caller's own cancellation passes through.
    /// </summary>
    protected async Task<T> GuardAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (StoreRejectedException)
        {
            throw;
        }
        catch (StoreUnavailableException)
        {
            throw;
        }
        catch (Exception e) when (IsDataError(e))
        {
            throw new StoreRejectedException("The store refused the data: " + e.Message, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            OnUnavailable(e);
            throw new StoreUnavailableException("The store timed out: " + e.Message, e);
        }
        catch (Exception e) when (e is not OperationCanceledException && IsUnavailable(e))
        {
            OnUnavailable(e);
            throw new StoreUnavailableException("The store failed: " + e.Message, e);
        }
    }

    /// <summary>A command on the connection, in the transaction when there is one.</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Adds a parameter named <paramref name="name"/> (without its <c>@</c>) and returns it for reuse.</summary>
    protected static DbParameter Parameter(DbCommand command, string name, DbType type, object? value = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = Prefixed(name);
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// The name as the SQL writes it. Both drivers take it with its <c>@</c>; Microsoft.Data.Sqlite given a bare name
    /// looks it up under each prefix it knows on every execution, a measurable part of an accept.
    /// </summary>
    static string Prefixed(string name) => name.StartsWith('@') ? name : "@" + name;

    /// <summary>Adds a time parameter in the dialect's representation.</summary>
    protected DbParameter TimeParameter(DbCommand command, string name, DateTimeOffset? value = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parameter = command.CreateParameter();
        parameter.ParameterName = Prefixed(name);
        if (value is { } v)
            SetTime(parameter, v);
        else
            parameter.Value = DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Times are kept at millisecond precision in both databases, so a value reads back exactly as it compares.</summary>
    protected static DateTimeOffset Millis(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    /// <summary>An id list to splice into <c>IN (...)</c>: numbers only, so it cannot carry SQL.</summary>
    protected static string IdList(IEnumerable<long> ids) => string.Join(',', ids);

    [LoggerMessage(Level = LogLevel.Error, Message = "Store commit of {Count} writes failed: {Reason}")]
    static partial void LogCommitFailed(ILogger logger, int count, string reason);

    void LogCommitFailed(int count, Exception failure) => LogCommitFailed(Logger, count, failure.Message);
}
