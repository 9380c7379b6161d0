using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using GeminiHooks.Storage.Kit;

namespace GeminiHooks.Storage.Relational;

/// <summary>
/// Search: an <see cref="EventFilter"/> as SQL, shared by the event list and bulk replays. A job filter reads the
/// event's own <c>job</c> column (indexed), metadata filters are lookups in <c>event_keys</c> (both filled at accept
/// time); a text filter reads bodies and is bounded per page.
/// </summary>
public abstract partial class RelationalEventStore
{
    /// <summary>
    /// The most events one page of a text search reads the bodies of. A page that reaches it without filling up ends
    /// early, with a cursor past the rows it read, so one request costs at most this many body reads.
    /// </summary>
    public const int TextSearchWindow = 5000;

    /// <summary>A condition true when <c>body</c> contains the bytes of the parameter <c>@text</c>.</summary>
    protected abstract string BodyContainsSql { get; }

    public Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => ReadAsync(async (connection, ct) =>
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = EventPaging.Limit(query);
        var filter = Effective(query);
        var cursor = EventPaging.Cursor(query);
        long? floor = null;
        var windowFull = false;
        if (filter.Text is not null)
        {
            // The window: the newest events that pass every other filter, at most TextSearchWindow of them.
            await using var window = Command(connection, null, "");
            window.CommandText = $"""
                SELECT MIN(id), COUNT(*) FROM (
                    SELECT id FROM events WHERE 1 = 1{FilterSql(window, filter with { Text = null }, cursor)}
                    ORDER BY {NewestFirst(filter)} LIMIT @window) w
                """;
            Parameter(window, "window", DbType.Int32, TextSearchWindow);
            await using var reader = await window.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await reader.ReadAsync(ct).ConfigureAwait(false);
            if (reader.IsDBNull(0))
                return new EventPage([], null);
            floor = reader.GetInt64(0);
            windowFull = reader.GetInt64(1) >= TextSearchWindow;
        }
        await using var command = Command(connection, null, "");
        var where = FilterSql(command, filter, cursor);
        if (floor is { } lowest)
        {
            Parameter(command, "floor", DbType.Int64, lowest);
            where += " AND id >= @floor";
        }
        Parameter(command, "limit", DbType.Int32, EventPaging.FetchCount(limit));
        // The id is unique and only grows, so a page ends exactly where the next one starts, whatever else ties, and
        // events that arrive while an operator pages are newer than the cursor: they never shift later pages.
        command.CommandText = Sorted(filter)
            // The page's ids from the index alone (it holds the id), then only their rows: reading and sorting the rows
            // of every match in the range cost several times more.
            ? $"SELECT {EventColumns} FROM events WHERE id IN (SELECT id FROM events WHERE 1 = 1{where} ORDER BY id + 0 DESC LIMIT @limit) ORDER BY id DESC"
            : $"SELECT {EventColumns} FROM events WHERE 1 = 1{where} ORDER BY id DESC LIMIT @limit";
        var rows = new List<StoredEvent>();
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                rows.Add(ReadEvent(reader, withBody: false));
        }
        var next = EventPaging.CutToPage(rows, limit);
        if (next is null && windowFull)
            next = floor!.Value.ToString(CultureInfo.InvariantCulture);
        var runs = await LoadRunsAsync(connection, rows.ConvertAll(r => r.Id), ct).ConfigureAwait(false);
        return EventPaging.Page(rows, runs, next);
    }, cancellationToken);

    /// <summary>
    /// Newest first. With a type and a time range the order is written so no index can give it: both planners otherwise
    /// walk the id index backwards from the newest event, assuming matches are spread evenly, and skip hundreds of
    /// thousands of rows before reaching an older hour. Written this way they read the range from
    /// <c>events_type_received</c> (a few thousand rows) and sort it (measured in bench/results.md).
    /// </summary>
    static string NewestFirst(EventFilter filter) => Sorted(filter) ? "id + 0 DESC" : "id DESC";

    static bool Sorted(EventFilter filter) => filter.EventType is not null && (filter.From is not null || filter.To is not null);

    static EventFilter Effective(EventQuery query)
    {
        var filter = query.Filter ?? new EventFilter();
        return filter with { Status = query.Status ?? filter.Status, EventType = query.EventType ?? filter.EventType };
    }

    /// <summary>How the conditions on <c>event_keys</c> and <c>handler_runs</c> are written (see <see cref="FilterSql"/>).</summary>
    private enum SubqueryShape
    {
        /// <summary>A list of the matching event ids: an index lookup, right for a search (and for a few matches).</summary>
        List,

        /// <summary>The list, cut to a replay page's window (<c>@after</c>, <c>@through</c>).</summary>
        ListInReplayWindow,

        /// <summary>
        /// A lookup per event, in a replay page's window: for a replay of many matches. The list form would read every
        /// remaining match on every page (each page wants only the next few hundred in id order), which made a replay of
        /// 100,000 events cost minutes; per event, a page reads only the events up to its last match.
        /// </summary>
        PerRowInReplayWindow,
    }

    /// <summary>
    /// The filter as <c> AND …</c> conditions on <c>events</c>, with their parameters added to <paramref name="command"/>;
    /// <paramref name="belowId"/>, when set, keeps only older events. Only the filters that are set go into the SQL, so
    /// each combination gets a plan that uses its index.
    /// </summary>
    string FilterSql(DbCommand command, EventFilter filter, long? belowId, SubqueryShape shape = SubqueryShape.List)
    {
        var sql = new StringBuilder();
        void Condition(string condition, string name, DbType type, object value)
        {
            Parameter(command, name, type, value);
            sql.Append(" AND ").Append(condition);
        }
        if (filter.Status is not null)
            Condition("status = @status", "status", DbType.String, filter.Status);
        if (filter.EventType is not null)
            Condition("type = @type", "type", DbType.String, StoredText.Representable(filter.EventType));
        if (filter.EventTypePrefix is { Length: > 0 } prefix)
        {
            // substr counts characters in both databases, so the length is the prefix's count of code points.
            var stored = StoredText.Representable(prefix);
            Parameter(command, "prefix_length", DbType.Int32, stored.EnumerateRunes().Count());
            Condition("substr(type, 1, @prefix_length) = @prefix", "prefix", DbType.String, stored);
        }
        if (filter.Endpoint is not null)
            Condition("endpoint = @endpoint", "endpoint", DbType.String, filter.Endpoint);
        if (filter.Job is not null)
        {
            if (SearchKeys.Job(filter.Job) is { } job)
                Condition("job = @job", "job", DbType.String, job);
            else
                sql.Append(" AND 1 = 0"); // no stored event can carry an id that is not one
        }
        var i = 0;
        foreach (var (key, value) in filter.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            Parameter(command, $"meta{i}_name", DbType.String, SearchKeys.MetaPrefix + StoredText.Representable(key));
            Condition(Subquery("event_keys", $"name = @meta{i}_name AND value = @meta{i}_value", shape),
                $"meta{i}_value", DbType.String, StoredText.Representable(value));
            i++;
        }
        if (filter.Handler is not null || filter.HandlerStatus is not null)
        {
            var runs = new StringBuilder("1 = 1");
            if (filter.Handler is not null)
            {
                Parameter(command, "handler", DbType.String, StoredText.Representable(filter.Handler));
                runs.Append(" AND handler = @handler");
            }
            if (filter.HandlerStatus is not null)
            {
                Parameter(command, "handler_status", DbType.String, filter.HandlerStatus);
                runs.Append(" AND status = @handler_status");
            }
            sql.Append(" AND ").Append(Subquery("handler_runs", runs.ToString(), shape));
        }
        if (filter.From is { } from)
        {
            TimeParameter(command, "from", Millis(from));
            sql.Append(" AND received_at >= @from");
        }
        if (filter.To is { } to)
        {
            TimeParameter(command, "to", Millis(to));
            sql.Append(" AND received_at < @to");
        }
        if (filter.Text is not null)
            Condition(BodyContainsSql, "text", DbType.Binary, Encoding.UTF8.GetBytes(filter.Text));
        if (belowId is { } below)
            Condition("id < @cursor", "cursor", DbType.Int64, below);
        return sql.ToString();
    }

    /// <summary>"The event has a row in <paramref name="table"/> (event_keys or handler_runs) meeting <paramref name="conditions"/>".</summary>
    static string Subquery(string table, string conditions, SubqueryShape shape) => shape switch
    {
        SubqueryShape.List => $"id IN (SELECT event_id FROM {table} WHERE {conditions})",
        SubqueryShape.ListInReplayWindow =>
            $"id IN (SELECT event_id FROM {table} WHERE {conditions} AND event_id > @after AND event_id <= @through)",
        _ => $"EXISTS (SELECT 1 FROM {table} x WHERE x.event_id = events.id AND {conditions} AND x.event_id > @after AND x.event_id <= @through)",
    };
}
