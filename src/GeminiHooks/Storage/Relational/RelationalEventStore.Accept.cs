using System.Data;
using System.Data.Common;
using System.Runtime.InteropServices;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>Accepts: the group commit, and each delivery written as its rows (event, pairs, job outcome).</summary>
public abstract partial class RelationalEventStore
{
    public async Task<AcceptOutcome> AcceptAsync(IncomingDelivery delivery, CancellationToken cancellationToken)
    {
        if (_accepts is null)
            throw new InvalidOperationException("InitializeAsync has not run.");
        if (Options.GroupCommit)
            return await PendingAccept.SubmitAsync(delivery, _accepts.EnqueueAsync, cancellationToken).ConfigureAwait(false);
        // Without group commit each accept is its own transaction, so on a database with many writers accepts still run
        // in parallel (a single-writer dialect serialises them in WriteAsync).
        var pending = new PendingAccept(AcceptRules.Check(delivery));
        await CommitAsync([pending]).ConfigureAwait(false);
        return pending.Outcome;
    }

    /// <summary>One group commit: the accepts and run outcomes waiting, written by <see cref="WriteBatchAsync"/>.</summary>
    async Task CommitAsync(IReadOnlyList<PendingWrite> batch)
    {
        var accepts = new List<PendingAccept>();
        var outcomes = new List<PendingFinish>();
        foreach (var write in batch)
        {
            if (write is PendingAccept accept)
                accepts.Add(accept);
            else
                outcomes.Add((PendingFinish)write);
        }
        await GuardAsync(async () =>
        {
            await WriteBatchAsync(accepts, outcomes).ConfigureAwait(false);
            return 0;
        }, CancellationToken.None).ConfigureAwait(false);
        if (accepts.Exists(QueuedRuns))
            SignalWork();
    }

    /// <summary>
    /// Writes one batch and sets each item's result. By default every item is written as its rows in one transaction
    /// (one sync for the whole batch); a dialect with a faster bulk form overrides this. Failures surface as the
    /// database's own exceptions; the caller sorts them.
    /// </summary>
    protected virtual Task WriteBatchAsync(IReadOnlyList<PendingAccept> accepts, IReadOnlyList<PendingFinish> outcomes) =>
        WriteAsync(async (connection, transaction) =>
        {
            await WriteAcceptRowsAsync(connection, transaction, accepts, CancellationToken.None).ConfigureAwait(false);
            await WriteOutcomeRowsAsync(connection, transaction, outcomes, CancellationToken.None).ConfigureAwait(false);
            return 0;
        }, singleStatement: false, CancellationToken.None);

    /// <summary>
    /// Writes each delivery as its rows: the event with its job (a conflict on (endpoint, webhook id) is a duplicate),
    /// then its metadata keys, then, for a terminal job event, the job's outcome (the first per job wins; a later one is
    /// kept as a follower without pairs), then one pending pair per distinct handler. Notifies other processes once when
    /// any pair was queued.
    /// </summary>
    protected async Task WriteAcceptRowsAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<PendingAccept> accepts,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accepts);
        if (accepts.Count == 0)
            return;
        var rows = await AcceptRowCommandsOnAsync(connection).ConfigureAwait(false);
        rows.Enlist(transaction);
        var queued = false;
        try
        {
            foreach (var pending in accepts)
            {
                pending.Outcome = await rows.AcceptAsync(pending, cancellationToken).ConfigureAwait(false);
                queued |= QueuedRuns(pending);
            }
        }
        catch
        {
            // Statements a failure left in any state are not reused.
            await rows.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (HasSingleWriter)
            _writerRows = rows;
        else
            await rows.DisposeAsync().ConfigureAwait(false);
        if (queued)
            await NotifyWorkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A single-writer dialect's accept statements, kept prepared on its one writer connection from batch to batch:
    /// a batch holds a few dozen deliveries, and preparing each statement again for each batch cost more than several
    /// of its rows. Only the writer touches it, under the dialect's write lock.
    /// </summary>
    AcceptRowCommands? _writerRows;

    /// <summary>The kept statements when they are on <paramref name="connection"/>; otherwise new ones.</summary>
    async ValueTask<AcceptRowCommands> AcceptRowCommandsOnAsync(DbConnection connection)
    {
        var kept = _writerRows;
        _writerRows = null;
        if (kept is not null && kept.IsOn(connection))
            return kept;
        if (kept is not null)
            await kept.DisposeAsync().ConfigureAwait(false);
        return new AcceptRowCommands(this, connection);
    }

    /// <summary>Releases the kept accept statements before the dialect closes its connection.</summary>
    async ValueTask DisposeAcceptRowCommandsAsync()
    {
        if (_writerRows is { } kept)
        {
            _writerRows = null;
            await kept.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True when the accept queued handler runs. Only then is a dispatcher woken: a claim is a write, so waking one
    /// for a delivery no handler takes (or a duplicate, a later delivery of a job, a quarantined one) made every
    /// group commit on a single-writer database wait for a claim that found nothing.
    /// </summary>
    static bool QueuedRuns(PendingAccept pending) => pending.Outcome == AcceptOutcome.Accepted && pending.Delivery.Handlers.Count > 0;

    /// <summary>What an accept's event insert ends with to answer the new row's id (see <see cref="InsertEventAsync"/>).</summary>
    protected virtual string InsertedIdClause => "\nRETURNING id";

    /// <summary>
    /// Runs an accept's event insert, whose conflict inserts nothing, and gives the new row's id, or null when the event
    /// was stored already. By default the insert returns the id itself (<see cref="InsertedIdClause"/>).
    /// </summary>
    protected virtual async Task<long?> InsertEventAsync(DbCommand insert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(insert);
        return await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } id
            ? Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>
    /// The body as the array the database binds. The ingest path hands over an array it owns whole (the exact body it
    /// read), so it is bound as is; only a slice of a larger buffer is copied.
    /// </summary>
    protected static byte[] BodyArray(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    /// <summary>
    /// The statements of an accept, their parameters bound once and their SQL prepared on first use, reused for every
    /// delivery of a batch (and, on a single writer, of later batches). Job statements are made on first use, so
    /// batches without terminal job events cost nothing for them.
    /// </summary>
    sealed class AcceptRowCommands : IAsyncDisposable
    {
        readonly RelationalEventStore _store;
        readonly DbConnection _connection;
        DbTransaction? _transaction;
        readonly DbCommand _event;
        readonly DbParameter _endpoint, _id, _timestamp, _received, _type, _body, _status, _job;
        readonly DbCommand _run;
        readonly DbParameter _runEvent, _runHandler, _runNow;
        readonly DbCommand _key;
        readonly DbParameter _keyEvent, _keyName, _keyValue;
        JobOutcomeCommands? _jobs;

        public AcceptRowCommands(RelationalEventStore store, DbConnection connection)
        {
            _store = store;
            _connection = connection;
            _event = Command(connection, null, """
                INSERT INTO events (endpoint, webhook_id, webhook_timestamp, received_at, type, body, status, job)
                VALUES (@endpoint, @id, @ts, @received, @type, @body, @status, @job)
                ON CONFLICT (endpoint, webhook_id) DO NOTHING
                """ + store.InsertedIdClause);
            _endpoint = Parameter(_event, "endpoint", DbType.String);
            _id = Parameter(_event, "id", DbType.String);
            _timestamp = Parameter(_event, "ts", DbType.Int64);
            _received = store.TimeParameter(_event, "received");
            _type = Parameter(_event, "type", DbType.String);
            _body = Parameter(_event, "body", DbType.Binary);
            _status = Parameter(_event, "status", DbType.String);
            _job = Parameter(_event, "job", DbType.String);
            _run = Command(connection, null, """
                INSERT INTO handler_runs (event_id, handler, status, attempts, next_attempt_at, updated_at)
                VALUES (@event, @handler, 'pending', 0, @now, @now)
                """);
            _runEvent = Parameter(_run, "event", DbType.Int64);
            _runHandler = Parameter(_run, "handler", DbType.String);
            _runNow = store.TimeParameter(_run, "now");
            _key = Command(connection, null, "INSERT INTO event_keys (event_id, name, value) VALUES (@event, @name, @value)");
            _keyEvent = Parameter(_key, "event", DbType.Int64);
            _keyName = Parameter(_key, "name", DbType.String);
            _keyValue = Parameter(_key, "value", DbType.String);
        }

        public bool IsOn(DbConnection connection) => ReferenceEquals(connection, _connection);

        /// <summary>Runs the statements in <paramref name="transaction"/> (the batch being written).</summary>
        public void Enlist(DbTransaction? transaction)
        {
            _transaction = transaction;
            _event.Transaction = transaction;
            _run.Transaction = transaction;
            _key.Transaction = transaction;
            _jobs?.Enlist(transaction);
        }

        public async Task<AcceptOutcome> AcceptAsync(PendingAccept pending, CancellationToken cancellationToken)
        {
            var d = pending.Delivery;
            _endpoint.Value = d.Endpoint;
            _id.Value = d.WebhookId;
            _timestamp.Value = d.Timestamp;
            _store.SetTime(_received, d.ReceivedAt);
            _type.Value = StoredText.Representable(d.EventType);
            _body.Value = BodyArray(d.Body);
            _status.Value = d.InitialStatus;
            _job.Value = (object?)pending.SearchKeys.Job ?? DBNull.Value;
            if (await _store.InsertEventAsync(_event, cancellationToken).ConfigureAwait(false) is not { } eventId)
                return AcceptOutcome.Duplicate;
            // Every stored event is searchable, a later delivery of a job too, so its keys go in before the job's rules.
            _keyEvent.Value = eventId;
            foreach (var (name, value) in pending.SearchKeys.Metadata)
            {
                _keyName.Value = name;
                _keyValue.Value = value;
                await _key.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // A terminal job event: the first per job gets handler runs, a later one is kept without (same transaction).
            if (d.Job is { } job)
            {
                if (_jobs is null)
                {
                    _jobs = new JobOutcomeCommands(_store, _connection);
                    _jobs.Enlist(_transaction);
                }
                if (await _jobs.RecordAsync(job, d, eventId, cancellationToken).ConfigureAwait(false) is { } later)
                    return later;
            }
            _runEvent.Value = eventId;
            _store.SetTime(_runNow, d.ReceivedAt);
            foreach (var handler in d.Handlers.Distinct(StringComparer.Ordinal))
            {
                _runHandler.Value = handler;
                await _run.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return AcceptOutcome.Accepted;
        }

        public async ValueTask DisposeAsync()
        {
            await _event.DisposeAsync().ConfigureAwait(false);
            await _run.DisposeAsync().ConfigureAwait(false);
            await _key.DisposeAsync().ConfigureAwait(false);
            if (_jobs is not null)
                await _jobs.DisposeAsync().ConfigureAwait(false);
        }
    }
}
