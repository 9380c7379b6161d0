using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GeminiHooks.Server.Tests.Operations;

/// <summary>
/// Every search filter alone and combined, on SQLite and on PostgreSQL, through the real server's API and through
/// <c>geminihooks events search</c>: both answer exactly the expected events, newest first; bad filters are refused
/// naming their key.
/// </summary>
public partial class SearchFiltersTests
{
    const string AdminKey = "search-filters-key-0123456789abcdef";

    static string Body(string type, string job, string? metadata, string note) =>
        $$"""{"type":"{{type}}","version":"v1","timestamp":"2026-11-23T10:00:00Z","data":{"id":"{{job}}"}{{(metadata is null ? "" : ",\"user_metadata\":" + metadata)}},"note":"{{note}}"}""";

    static async Task<(int Exit, string Out, string Err)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await GeminiHooks.Cli.Program.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Every_filter_alone_and_combined_finds_the_same_events_through_the_api_and_the_cli(string store)
    {
        await using var downstream = await Downstream.StartAsync(); // answers 500: the forward runs die (one attempt)
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["GeminiHooks:Admin:ApiKey"] = AdminKey,
            ["GeminiHooks:Dispatch:MaxAttempts"] = "1",
            ["GeminiHooks:Handlers:archive:Type"] = "jsonl",
            ["GeminiHooks:Handlers:archive:Path"] = Path.Combine(data.Path, "archive.jsonl"),
            ["GeminiHooks:Handlers:forward:Type"] = "http",
            ["GeminiHooks:Handlers:forward:Url"] = downstream.Url,
            ["GeminiHooks:Handlers:forward:Secret"] = Receiver.Secret,
            ["GeminiHooks:Handlers:forward:Events:0"] = "batch.failed",
        };
        if (store == "postgres")
        {
            settings["GeminiHooks:Store:Provider"] = "Postgres";
            settings["GeminiHooks:Store:ConnectionString"] = await TestPostgres.CreateDatabaseAsync();
        }
        using var receiver = new Receiver(data.Path, settings);
        using var client = receiver.Start();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var start = receiver.Time.GetUtcNow();
        // Five deliveries a minute apart, each differing from the others in a few filters.
        foreach (var (id, body) in new[]
        {
            ("m1", Body("batch.succeeded", "batches/j1", """{"team":"red"}""", "all good")),
            ("m2", Body("batch.failed", "j2", """{"team":"blue"}""", "quota exceeded")),
            ("m3", Body("video.generated", "operations/j3", """{"team":"red","env":"prod"}""", "done")),
            ("m4", Body("batch.failed", "batches/j4", """{"team":"red"}""", "quota again")),
            ("m5", Body("interaction.completed", "v1_j5", null, "fine")),
        })
        {
            using var delivered = await client.SendAsync(receiver.SignedStatic(id, body));
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
            receiver.Time.Advance(TimeSpan.FromMinutes(1));
        }
        await Eventually.UntilAsync(async () => await IdsAsync(client, "status=pending") is [], "every run settles", TimeSpan.FromSeconds(30));

        var at90s = Uri.EscapeDataString(start.AddSeconds(90).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        var at150s = Uri.EscapeDataString(start.AddSeconds(150).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        var expectations = new (string Query, string[] Ids)[]
        {
            ("", ["m5", "m4", "m3", "m2", "m1"]),
            ("job=j1", ["m1"]),
            ("job=batches%2Fj4", ["m4"]),
            ("job=j4", ["m4"]),
            ("job=operations%2Fj3", ["m3"]),
            ("type=batch.failed", ["m4", "m2"]),
            ("type=batch.*", ["m4", "m2", "m1"]),
            ("status=dead", ["m4", "m2"]),
            ("status=done", ["m5", "m3", "m1"]),
            ("endpoint=static", ["m5", "m4", "m3", "m2", "m1"]),
            ("endpoint=dynamic", []),
            ("handler=forward", ["m4", "m2"]),
            ("handler=archive", ["m5", "m4", "m3", "m2", "m1"]),
            ("handler_status=dead", ["m4", "m2"]),
            ("handler_status=succeeded", ["m5", "m4", "m3", "m2", "m1"]),
            ($"from={at90s}", ["m5", "m4", "m3"]),
            ($"to={at90s}", ["m2", "m1"]),
            ("meta.team=red", ["m4", "m3", "m1"]),
            ("meta.env=prod", ["m3"]),
            ("q=quota", ["m4", "m2"]),
            ("type=batch.*&meta.team=red", ["m4", "m1"]),
            ($"handler=forward&handler_status=dead&from={at90s}", ["m4"]),
            ("q=quota&meta.team=blue", ["m2"]),
            ("job=j1&status=dead", []),
            ($"type=batch.failed&to={at150s}&endpoint=static", ["m2"]),
            ($"type=batch.*&from={at90s}&to={at150s}", []),
            ($"status=done&meta.team=red&handler=archive&q=done", ["m3"]),
        };
        var url = client.BaseAddress!.ToString();
        foreach (var (query, ids) in expectations)
        {
            Assert.True(ids.SequenceEqual(await IdsAsync(client, query)), $"API {query}: expected {string.Join(",", ids)}, got {string.Join(",", await IdsAsync(client, query))}");
            var pairs = query.Length == 0 ? Array.Empty<string>() : query.Split('&').Select(Uri.UnescapeDataString).ToArray();
            var cli = await CliAsync(["events", "search", .. pairs, "--receiver", url, "--admin-key", AdminKey]);
            Assert.Equal(0, cli.Exit);
            var cliIds = CliWebhookId().Matches(cli.Out).Select(m => m.Groups[1].Value).ToArray();
            Assert.True(ids.SequenceEqual(cliIds), $"CLI {query}: expected {string.Join(",", ids)}, got {cli.Out}");
        }

        // Paging keeps the filter: one a page, each match once, in order.
        var paged = new List<string>();
        string? cursor = null;
        do
        {
            using var page = await GetJsonAsync(client, "type=batch.*&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            paged.AddRange(page.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("webhook_id").GetString()!));
            cursor = page.RootElement.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        Assert.Equal(["m4", "m2", "m1"], paged);
    }

    internal static async Task<List<string>> IdsAsync(HttpClient client, string query)
    {
        using var body = await GetJsonAsync(client, query);
        return body.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("webhook_id").GetString()!).ToList();
    }

    static async Task<JsonDocument> GetJsonAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/admin/events?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text);
    }

    [GeneratedRegex(@"(?:static|dynamic|reconciled)/(m\d)\b")]
    private static partial Regex CliWebhookId();
}
