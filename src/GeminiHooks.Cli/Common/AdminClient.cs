using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace GeminiHooks.Cli.Common;

/// <summary>
/// How a command talks to a receiver's operator API (<c>/admin/...</c>): the <c>--receiver</c> and <c>--admin-key</c>
/// options, an authorised client, and answers read as JSON or turned into one CLI error line.
/// </summary>
internal sealed record AdminClient(Option<Uri> Url, Option<string?> AdminKey)
{
    public static AdminClient Options() => new(
        UriOption.Create("--receiver", "The receiver's base URL.", "http://127.0.0.1:8080"),
        new Option<string?>("--admin-key") { Description = "The receiver's GeminiHooks:Admin:ApiKey (default: env GEMINIHOOKS_ADMIN_KEY)." });

    public HttpClient Http(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var key = parse.GetValue(AdminKey) ?? Environment.GetEnvironmentVariable("GEMINIHOOKS_ADMIN_KEY");
        if (string.IsNullOrEmpty(key))
            throw new CliException("the receiver's admin key is required: --admin-key or env GEMINIHOOKS_ADMIN_KEY");
        var baseUrl = parse.GetRequiredValue(Url).ToString();
        var http = new HttpClient { BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>The answer as JSON, or a CLI error with the receiver's problem detail (never the admin key).</summary>
    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonObject? body = null;
        try { body = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject; }
        catch (System.Text.Json.JsonException) { }
        if (!response.IsSuccessStatusCode)
            throw new CliException($"the receiver answered {(int)response.StatusCode}: {Text(body?["detail"]) ?? response.ReasonPhrase}");
        return body ?? [];
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
