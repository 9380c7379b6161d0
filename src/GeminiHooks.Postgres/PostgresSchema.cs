using GeminiHooks.Storage.Kit;
using Npgsql;

namespace GeminiHooks.Postgres;

/// <summary>
/// Numbered, forward-only migrations; the <c>schema_version</c> table records which ones a database has.
/// Same table shapes as the SQLite store, with PostgreSQL types: <c>timestamptz</c> times, <c>bytea</c> bodies.
/// </summary>
static class PostgresSchema
{
    /// <summary>
    /// Key of the transaction-scoped advisory lock that serializes migrations: replicas starting together would
    /// otherwise race on <c>CREATE TABLE IF NOT EXISTS</c> (which is not safe concurrently) and on the version rows.
    /// Any constant works as long as every version of GeminiHooks uses the same one ("GHKS" in ASCII).
    /// </summary>
    const long MigrationLockKey = 0x47484B53;

    static readonly string[] Steps =
    [
        """
        CREATE TABLE events (
            id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            endpoint          text        NOT NULL,
            webhook_id        text        NOT NULL,
            webhook_timestamp bigint      NOT NULL,
            received_at       timestamptz NOT NULL,
            type              text        NOT NULL,
            body              bytea       NOT NULL, -- the exact bytes that were verified
            status            text        NOT NULL, -- pending | done | dead, derived from handler_runs on every change
            UNIQUE (endpoint, webhook_id)           -- idempotency holds through this index, across replicas too
        );
        CREATE INDEX events_status ON events (status, id);
        CREATE INDEX events_type ON events (type, id);
        CREATE INDEX events_received ON events (received_at) WHERE status = 'done';
        CREATE TABLE handler_runs (
            event_id        bigint      NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            handler         text        NOT NULL,
            status          text        NOT NULL, -- pending | running | succeeded | dead
            attempts        integer     NOT NULL,
            next_attempt_at timestamptz NOT NULL, -- when pending: when due; when running: when the lease expires
            lease_owner     text,
            last_error      text,
            updated_at      timestamptz NOT NULL,
            PRIMARY KEY (event_id, handler)
        );
        -- Claims scan only the unfinished pairs, in due order; finished pairs pile up and must not slow that down.
        CREATE INDEX handler_runs_due ON handler_runs (next_attempt_at) WHERE status IN ('pending', 'running');
        CREATE INDEX handler_runs_dead ON handler_runs (event_id) WHERE status = 'dead';
        """,
        """
        -- The first terminal event of each job (real or reconciled); later ones are kept as followers, without runs.
        CREATE TABLE job_outcomes (
            family     text        NOT NULL, -- batch | video | interaction
            job_id     text        NOT NULL, -- the last path segment of data.id
            type       text        NOT NULL,
            endpoint   text        NOT NULL,
            webhook_id text        NOT NULL,
            raw_id     text        NOT NULL, -- data.id as delivered
            reconciled boolean     NOT NULL,
            at         timestamptz NOT NULL,
            PRIMARY KEY (family, job_id)
        );
        CREATE TABLE job_followers (
            family     text        NOT NULL,
            job_id     text        NOT NULL,
            kind       text        NOT NULL, -- duplicate | conflict
            type       text        NOT NULL,
            endpoint   text        NOT NULL,
            webhook_id text        NOT NULL,
            raw_id     text        NOT NULL,
            reconciled boolean     NOT NULL,
            at         timestamptz NOT NULL,
            PRIMARY KEY (endpoint, webhook_id)
        );
        CREATE INDEX job_followers_job ON job_followers (family, job_id);
        CREATE TABLE tracked_jobs (
            family       text        NOT NULL,
            job_id       text        NOT NULL,
            name         text        NOT NULL, -- the resource name polled
            created_at   timestamptz NOT NULL,
            status       text        NOT NULL, -- open | ended | delivered | no_event_type | abandoned
            next_poll_at timestamptz NOT NULL,
            polls        integer     NOT NULL,
            job_state    text,
            ended_at     timestamptz,
            last_error   text,
            updated_at   timestamptz NOT NULL,
            PRIMARY KEY (family, job_id)
        );
        CREATE INDEX tracked_jobs_due ON tracked_jobs (next_poll_at) WHERE status IN ('open', 'ended');
        """,
        """
        -- Each binding token's nonce, tied to the first job that presented it.
        CREATE TABLE binding_nonces (
            nonce      text        NOT NULL PRIMARY KEY,
            family     text        NOT NULL,
            job_id     text        NOT NULL,
            expires_at timestamptz NOT NULL -- the token's expiry
        );
        CREATE INDEX binding_nonces_expiry ON binding_nonces (expires_at);
        """,
        """
        -- Per-handler state shared by every replica; a handler without a row is active.
        CREATE TABLE handler_state (
            handler    text        NOT NULL PRIMARY KEY,
            paused_at     timestamptz,                      -- set while the operator has the handler paused
            updated_at    timestamptz NOT NULL,
            circuit       text        NOT NULL DEFAULT 'closed', -- closed | open | half_open (one probe in flight)
            failures      integer     NOT NULL DEFAULT 0,        -- failed runs in a row (handlers with a circuit breaker)
            circuit_until timestamptz                            -- open: when the break ends; half_open: when the probe's lease ends
        );
        """,
        """
        -- What a search finds an event by without reading bodies, extracted at accept time: 'job' (data.id,
        -- normalised; on events.job since migration 9) and 'meta.<key>' (user_metadata). Events stored before this
        -- migration have none.
        CREATE TABLE event_keys (
            event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            name     text   NOT NULL,
            value    text   NOT NULL,
            PRIMARY KEY (event_id, name)
        );
        CREATE INDEX event_keys_lookup ON event_keys (name, value, event_id);
        -- Bulk replays by filter: the request as asked (audit), the progress (checkpoint: the last event id replayed,
        -- committed with that page's pairs, so a replay resumed elsewhere after a crash queues no event twice), and a
        -- lease any process's replay worker takes over when it expires.
        CREATE TABLE replays (
            id           text NOT NULL PRIMARY KEY,
            filter       text NOT NULL, -- JSON
            handlers     text,          -- JSON array, or NULL for every handler that takes each event
            requested_by text NOT NULL,
            created_at   timestamptz NOT NULL,
            through_id   bigint NOT NULL, -- the newest event when it started: later events are not part of it
            matched      bigint NOT NULL,
            enqueued     bigint NOT NULL,
            checkpoint   bigint NOT NULL,
            status       text NOT NULL, -- running | done | failed
            lease_owner  text,
            lease_until  timestamptz,
            last_error   text,
            updated_at   timestamptz NOT NULL
        );
        CREATE INDEX replays_running ON replays (status, created_at);
        """,
        """
        -- Notifications (Notify): each occurrence until a message reports it; batch marks the message reporting it.
        CREATE TABLE notification_occurrences (
            id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind    text        NOT NULL, -- dead_letter | circuit_open | circuit_closed | webhook_disabled | reconcile_conflict | backlog_age
            subject text        NOT NULL, -- what it is about, as a message names it
            at      timestamptz NOT NULL,
            batch   text
        );
        CREATE INDEX notification_occurrences_kind ON notification_occurrences (kind, at);
        -- Per kind: when the last message went out, a failed send's retry, and which replica holds the turn to send.
        CREATE TABLE notification_state (
            kind            text        NOT NULL PRIMARY KEY,
            sent_at         timestamptz,
            failures        integer     NOT NULL, -- failed sends in a row
            next_attempt_at timestamptz,
            lease_owner     text,
            lease_until     timestamptz
        );
        -- Conditions that hold now (a disabled webhook, an old backlog): raised once when they begin.
        CREATE TABLE notification_conditions (
            kind  text        NOT NULL,
            name  text        NOT NULL,
            since timestamptz NOT NULL,
            PRIMARY KEY (kind, name)
        );
        -- Occurrences recorded in the transaction that makes them, whichever replica makes them. A trigger's WHEN is
        -- checked without calling the function, so the updates that do not dead-letter (claims, successes) cost no call.
        CREATE FUNCTION geminihooks_notify_dead_letter() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at)
            VALUES ('dead_letter', COALESCE((SELECT webhook_id FROM events WHERE id = NEW.event_id), NEW.event_id::text)
                                   || ' (' || NEW.handler || ')', NEW.updated_at);
            RETURN NULL;
        END $$;
        CREATE TRIGGER notify_dead_letter AFTER UPDATE OF status ON handler_runs FOR EACH ROW
            WHEN (NEW.status = 'dead' AND OLD.status <> 'dead') EXECUTE FUNCTION geminihooks_notify_dead_letter();
        CREATE FUNCTION geminihooks_notify_circuit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at)
            VALUES (CASE NEW.circuit WHEN 'open' THEN 'circuit_open' ELSE 'circuit_closed' END, NEW.handler, NEW.updated_at);
            RETURN NULL;
        END $$;
        CREATE TRIGGER notify_circuit_opened AFTER INSERT ON handler_state FOR EACH ROW
            WHEN (NEW.circuit = 'open') EXECUTE FUNCTION geminihooks_notify_circuit();
        -- closed -> open, and back to closed from open or half_open; a failed probe (half_open -> open) is no news.
        CREATE TRIGGER notify_circuit_moved AFTER UPDATE OF circuit ON handler_state FOR EACH ROW
            WHEN ((OLD.circuit = 'closed' AND NEW.circuit = 'open') OR (OLD.circuit <> 'closed' AND NEW.circuit = 'closed'))
            EXECUTE FUNCTION geminihooks_notify_circuit();
        CREATE FUNCTION geminihooks_notify_reconcile_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at)
            VALUES ('reconcile_conflict', NEW.family || ' ' || NEW.job_id || ': ' || NEW.type || ' (' || NEW.webhook_id || ')', NEW.at);
            RETURN NULL;
        END $$;
        CREATE TRIGGER notify_reconcile_conflict AFTER INSERT ON job_followers FOR EACH ROW
            WHEN (NEW.kind = 'conflict') EXECUTE FUNCTION geminihooks_notify_reconcile_conflict();
        """,
        """
        -- Searches by type and time range read the range of one type instead of walking every newer event.
        -- The id is included so a page's ids come from the index alone (an index-only scan).
        CREATE INDEX events_type_received ON events (type, received_at) INCLUDE (id);
        """,
        """
        -- Artifacts: each job's output (a batch's responses file, a video) fetched into Artifacts:Store before Gemini
        -- deletes it. One row per job; bytes_done is what the spool file holds fsynced, so a cut download resumes there.
        CREATE TABLE artifacts (
            id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            family            text    NOT NULL, -- batch | video
            job_id            text    NOT NULL, -- the last path segment of the job's name
            job               text    NOT NULL, -- the job's name as its event gave it
            kind              text    NOT NULL, -- responses | video
            file              text    NOT NULL, -- files/<id>, 'inline', or '' until the job is read
            status            text    NOT NULL, -- pending | downloading | stored | expired | failed
            event_at          timestamptz NOT NULL, -- when its event was accepted
            size              bigint,
            bytes_done        bigint NOT NULL,
            sha256            text,             -- lowercase hex, of the stored copy
            location          text,             -- where the store put it (a path or an s3:// URI)
            fetched_at        timestamptz,
            source_expires_at timestamptz,          -- the file's expirationTime at Gemini, when it says
            attempts          integer NOT NULL,
            next_attempt_at   timestamptz NOT NULL, -- pending: when due; downloading: when the lease runs out
            lease_owner       text,
            last_error        text,
            updated_at        timestamptz NOT NULL,
            UNIQUE (family, job_id)
        );
        CREATE INDEX artifacts_due ON artifacts (status, next_attempt_at);
        -- Per result handler and stored responses file: lines handled (saved every Artifacts:CheckpointLines and at the
        -- end), so a pass cut by a crash resumes after the last saved line.
        CREATE TABLE artifact_checkpoints (
            artifact_id bigint NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
            handler     text    NOT NULL,
            line        bigint NOT NULL,
            done_at     timestamptz,
            lease_owner text,
            lease_until timestamptz NOT NULL,
            last_error  text,
            updated_at  timestamptz NOT NULL,
            PRIMARY KEY (artifact_id, handler)
        );
        """,
        """
        -- An event's job (data.id, normalised) on its own row: the accept writes it with the event and a search reads
        -- one index, where an event_keys row cost two more index entries per accept. Keys moved over.
        ALTER TABLE events ADD COLUMN job text;
        UPDATE events e SET job = k.value FROM event_keys k WHERE k.event_id = e.id AND k.name = 'job';
        DELETE FROM event_keys WHERE name = 'job';
        CREATE INDEX events_job ON events (job);
        """,
    ];

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_version (
                version    integer     PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken);
        int version;
        await using (var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", connection))
            version = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
        await Migrations.ApplyAsync(version, Steps, async (sql, newVersion) =>
        {
            await ExecuteAsync(connection, sql, cancellationToken);
            await ExecuteAsync(connection, $"INSERT INTO schema_version (version) VALUES ({newVersion})", cancellationToken);
        });
        await transaction.CommitAsync(cancellationToken);
    }

    static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
