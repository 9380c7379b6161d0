using System.Globalization;

namespace GeminiHooks.Storage.Kit;

/// <summary>
/// Keyset paging over events, newest first: a page asks for one row more than it shows, and that extra row's
/// existence is what says there is a next page; the cursor is the id of the last row shown.
/// </summary>
static class EventPaging
{
    public const int MaxLimit = 500;

    /// <summary>The page size actually served (1 to <see cref="MaxLimit"/>).</summary>
    public static int Limit(EventQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Math.Clamp(query.Limit, 1, MaxLimit);
    }

    /// <summary>How many rows to fetch for a page of <paramref name="limit"/>.</summary>
    public static int FetchCount(int limit) => limit + 1;

    /// <summary>The id every row of the page is below, or null for the first page (an unreadable cursor counts as none).</summary>
    public static long? Cursor(EventQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return long.TryParse(query.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) ? cursor : null;
    }

    /// <summary>Cuts the fetched rows to the page; returns the next page's cursor, or null on the last page.</summary>
    public static string? CutToPage(List<StoredEvent> rows, int limit)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count <= limit)
            return null;
        rows.RemoveRange(limit, rows.Count - limit);
        return rows[^1].Id.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The page: its rows with their pairs.</summary>
    public static EventPage Page(List<StoredEvent> rows, HandlerRunsByEvent runs, string? nextCursor)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(runs);
        return new EventPage(rows.ConvertAll(runs.Attach), nextCursor);
    }
}
