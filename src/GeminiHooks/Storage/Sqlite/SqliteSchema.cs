using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GeminiHooks.Storage.Sqlite;

/// <summary>Numbered, forward-only migrations; <c>PRAGMA user_version</c> records how far a file has come.</summary>
static class SqliteSchema
{
    static readonly string[] Migrations =
    [
        """
        CREATE TABLE events (
            id                INTEGER PRIMARY KEY,
            endpoint          TEXT    NOT NULL,
            webhook_id        TEXT    NOT NULL,
            webhook_timestamp INTEGER NOT NULL,
            received_at       INTEGER NOT NULL, -- Unix milliseconds
            type              TEXT    NOT NULL,
            body              BLOB    NOT NULL, -- the exact bytes that were verified
            status            TEXT    NOT NULL, -- pending | done | dead, derived from handler_runs on every change
            UNIQUE (endpoint, webhook_id)        -- idempotency holds through this index, not through application checks
        );
        CREATE INDEX events_status ON events (status, id);
        CREATE INDEX events_received ON events (received_at);
        CREATE TABLE handler_runs (
            event_id        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            handler         TEXT    NOT NULL,
            status          TEXT    NOT NULL, -- pending | running | succeeded | dead
            attempts        INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL, -- when pending: when due; when running: when the lease expires
            lease_owner     TEXT,
            last_error      TEXT,
            updated_at      INTEGER NOT NULL,
            PRIMARY KEY (event_id, handler)
        );
        CREATE INDEX handler_runs_due ON handler_runs (status, next_attempt_at);
        """,
        """
        -- The first terminal event of each job (real or reconciled); later ones are kept as followers, without runs.
        CREATE TABLE job_outcomes (
            family      TEXT    NOT NULL, -- batch | video | interaction
            job_id      TEXT    NOT NULL, -- the last path segment of data.id
            type        TEXT    NOT NULL,
            endpoint    TEXT    NOT NULL,
            webhook_id  TEXT    NOT NULL,
            raw_id      TEXT    NOT NULL, -- data.id as delivered
            reconciled  INTEGER NOT NULL,
            at          INTEGER NOT NULL, -- Unix milliseconds
            PRIMARY KEY (family, job_id)
        );
        CREATE TABLE job_followers (
            family      TEXT    NOT NULL,
            job_id      TEXT    NOT NULL,
            kind        TEXT    NOT NULL, -- duplicate | conflict
            type        TEXT    NOT NULL,
            endpoint    TEXT    NOT NULL,
            webhook_id  TEXT    NOT NULL,
            raw_id      TEXT    NOT NULL,
            reconciled  INTEGER NOT NULL,
            at          INTEGER NOT NULL,
            PRIMARY KEY (endpoint, webhook_id)
        );
        CREATE INDEX job_followers_job ON job_followers (family, job_id);
        CREATE TABLE tracked_jobs (
            family       TEXT    NOT NULL,
            job_id       TEXT    NOT NULL,
            name         TEXT    NOT NULL, -- the resource name polled
            created_at   INTEGER NOT NULL,
            status       TEXT    NOT NULL, -- open | ended | delivered | no_event_type | abandoned
            next_poll_at INTEGER NOT NULL,
            polls        INTEGER NOT NULL,
            job_state    TEXT,
            ended_at     INTEGER,
            last_error   TEXT,
            updated_at   INTEGER NOT NULL,
            PRIMARY KEY (family, job_id)
        );
        CREATE INDEX tracked_jobs_due ON tracked_jobs (status, next_poll_at);
        """,
        """
        -- Each binding token's nonce, tied to the first job that presented it.
        CREATE TABLE binding_nonces (
            nonce      TEXT    NOT NULL PRIMARY KEY,
            family     TEXT    NOT NULL,
            job_id     TEXT    NOT NULL,
            expires_at INTEGER NOT NULL -- Unix milliseconds: the token's expiry
        );
        CREATE INDEX binding_nonces_expiry ON binding_nonces (expires_at);
        """,
        """
        -- Per-handler state shared by every process on the store; a handler without a row is active.
        CREATE TABLE handler_state (
            handler    TEXT    NOT NULL PRIMARY KEY,
            paused_at     INTEGER,                          -- Unix milliseconds; set while the operator has the handler paused
            updated_at    INTEGER NOT NULL,
            circuit       TEXT    NOT NULL DEFAULT 'closed', -- closed | open | half_open (one probe in flight)
            failures      INTEGER NOT NULL DEFAULT 0,        -- failed runs in a row (handlers with a circuit breaker)
            circuit_until INTEGER                            -- open: when the break ends; half_open: when the probe's lease ends
        );
        """,
        """
        -- What a search finds an event by without reading bodies, extracted at accept time: 'job' (data.id,
        -- normalised; on events.job since migration 9) and 'meta.<key>' (user_metadata). Events stored before this
        -- migration have none.
        CREATE TABLE event_keys (
            event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            name     TEXT    NOT NULL,
            value    TEXT    NOT NULL,
            PRIMARY KEY (event_id, name)
        );
        CREATE INDEX event_keys_lookup ON event_keys (name, value, event_id);
        CREATE INDEX events_type ON events (type, id);
        -- Bulk replays by filter: the request as asked (audit), the progress (checkpoint: the last event id replayed,
        -- committed with that page's pairs, so a replay resumed elsewhere after a crash queues no event twice), and a
        -- lease any process's replay worker takes over when it expires.
        CREATE TABLE replays (
            id           TEXT NOT NULL PRIMARY KEY,
            filter       TEXT NOT NULL, -- JSON
            handlers     TEXT,          -- JSON array, or NULL for every handler that takes each event
            requested_by TEXT NOT NULL,
            created_at   INTEGER NOT NULL,
            through_id   INTEGER NOT NULL, -- the newest event when it started: later events are not part of it
            matched      INTEGER NOT NULL,
            enqueued     INTEGER NOT NULL,
            checkpoint   INTEGER NOT NULL,
            status       TEXT NOT NULL, -- running | done | failed
            lease_owner  TEXT,
            lease_until  INTEGER,
            last_error   TEXT,
            updated_at   INTEGER NOT NULL
        );
        CREATE INDEX replays_running ON replays (status, created_at);
        """,
        """
        -- Notifications (Notify): each occurrence until a message reports it; batch marks the message reporting it.
        CREATE TABLE notification_occurrences (
            id      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the first id names a message
            kind    TEXT    NOT NULL, -- dead_letter | circuit_open | circuit_closed | webhook_disabled | reconcile_conflict | backlog_age
            subject TEXT    NOT NULL, -- what it is about, as a message names it
            at      INTEGER NOT NULL, -- Unix milliseconds
            batch   TEXT
        );
        CREATE INDEX notification_occurrences_kind ON notification_occurrences (kind, at);
        -- Per kind: when the last message went out, a failed send's retry, and which process holds the turn to send.
        CREATE TABLE notification_state (
            kind            TEXT    NOT NULL PRIMARY KEY,
            sent_at         INTEGER,
            failures        INTEGER NOT NULL, -- failed sends in a row
            next_attempt_at INTEGER,
            lease_owner     TEXT,
            lease_until     INTEGER
        );
        -- Conditions that hold now (a disabled webhook, an old backlog): raised once when they begin.
        CREATE TABLE notification_conditions (
            kind  TEXT    NOT NULL,
            name  TEXT    NOT NULL,
            since INTEGER NOT NULL,
            PRIMARY KEY (kind, name)
        );
        -- Occurrences recorded in the transaction that makes them, whoever makes them.
        CREATE TRIGGER notify_dead_letter AFTER UPDATE OF status ON handler_runs
        WHEN NEW.status = 'dead' AND OLD.status <> 'dead'
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at)
            VALUES ('dead_letter', COALESCE((SELECT webhook_id FROM events WHERE id = NEW.event_id), NEW.event_id)
                                   || ' (' || NEW.handler || ')', NEW.updated_at);
        END;
        CREATE TRIGGER notify_circuit_opened AFTER INSERT ON handler_state
        WHEN NEW.circuit = 'open'
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at) VALUES ('circuit_open', NEW.handler, NEW.updated_at);
        END;
        -- closed -> open, and back to closed from open or half_open; a failed probe (half_open -> open) is no news.
        CREATE TRIGGER notify_circuit_moved AFTER UPDATE OF circuit ON handler_state
        WHEN (OLD.circuit = 'closed' AND NEW.circuit = 'open') OR (OLD.circuit <> 'closed' AND NEW.circuit = 'closed')
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at)
            VALUES (CASE NEW.circuit WHEN 'open' THEN 'circuit_open' ELSE 'circuit_closed' END, NEW.handler, NEW.updated_at);
        END;
        CREATE TRIGGER notify_reconcile_conflict AFTER INSERT ON job_followers
        WHEN NEW.kind = 'conflict'
        BEGIN
            INSERT INTO notification_occurrences (kind, subject, at)
            VALUES ('reconcile_conflict', NEW.family || ' ' || NEW.job_id || ': ' || NEW.type || ' (' || NEW.webhook_id || ')', NEW.at);
        END;
        """,
        """
        -- Searches by type and time range read the range of one type instead of walking every newer event (every SQLite
        -- index holds the rowid, so a page's ids come from the index alone).
        CREATE INDEX events_type_received ON events (type, received_at);
        """,
        """
        -- Artifacts: each job's output (a batch's responses file, a video) fetched into Artifacts:Store before Gemini
        -- deletes it. One row per job; bytes_done is what the spool file holds fsynced, so a cut download resumes there.
        CREATE TABLE artifacts (
            id                INTEGER PRIMARY KEY,
            family            TEXT    NOT NULL, -- batch | video
            job_id            TEXT    NOT NULL, -- the last path segment of the job's name
            job               TEXT    NOT NULL, -- the job's name as its event gave it
            kind              TEXT    NOT NULL, -- responses | video
            file              TEXT    NOT NULL, -- files/<id>, 'inline', or '' until the job is read
            status            TEXT    NOT NULL, -- pending | downloading | stored | expired | failed
            event_at          INTEGER NOT NULL, -- Unix milliseconds: when its event was accepted
            size              INTEGER,
            bytes_done        INTEGER NOT NULL,
            sha256            TEXT,             -- lowercase hex, of the stored copy
            location          TEXT,             -- where the store put it (a path or an s3:// URI)
            fetched_at        INTEGER,
            source_expires_at INTEGER,          -- the file's expirationTime at Gemini, when it says
            attempts          INTEGER NOT NULL,
            next_attempt_at   INTEGER NOT NULL, -- pending: when due; downloading: when the lease runs out
            lease_owner       TEXT,
            last_error        TEXT,
            updated_at        INTEGER NOT NULL,
            UNIQUE (family, job_id)
        );
        CREATE INDEX artifacts_due ON artifacts (status, next_attempt_at);
        -- Per result handler and stored responses file: lines handled (saved every Artifacts:CheckpointLines and at the
        -- end), so a pass cut by a crash resumes after the last saved line.
        CREATE TABLE artifact_checkpoints (
            artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
            handler     TEXT    NOT NULL,
            line        INTEGER NOT NULL,
            done_at     INTEGER,
            lease_owner TEXT,
            lease_until INTEGER NOT NULL,
            last_error  TEXT,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (artifact_id, handler)
        );
        """,
        """
        -- An event's job (data.id, normalised) on its own row: the accept writes it with the event and a search reads
        -- one index, where an event_keys row cost a statement and two more index entries per accept. Keys moved over.
        ALTER TABLE events ADD COLUMN job TEXT;
        UPDATE events SET job = (SELECT value FROM event_keys k WHERE k.event_id = events.id AND k.name = 'job')
        WHERE id IN (SELECT event_id FROM event_keys WHERE name = 'job');
        DELETE FROM event_keys WHERE name = 'job';
        CREATE INDEX events_job ON events (job);
        """,
    ];

    public static async Task MigrateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        int version;
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "PRAGMA user_version";
            version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
        }
        await Kit.Migrations.ApplyAsync(version, Migrations, async (sql, newVersion) =>
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = sql + $"\nPRAGMA user_version = {newVersion};";
            await migrate.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
    }
}
