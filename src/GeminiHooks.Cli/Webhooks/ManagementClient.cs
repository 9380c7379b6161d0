using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using GeminiHooks.Cli.Common;

namespace GeminiHooks.Cli.Webhooks;

/// <summary>Gemini's WebhookService REST API (<c>/{version}/webhooks</c>) with an API key in <c>x-goog-api-key</c>.</summary>
internal sealed class ManagementClient(HttpClient http, string apiVersion)
{
    string Collection => $"/{apiVersion}/webhooks";
    string Item(string id) => $"{Collection}/{Uri.EscapeDataString(id)}";

    public async Task<WebhookResource> CreateAsync(JsonObject body, CancellationToken ct) =>
        await SendAsync<WebhookResource>(HttpMethod.Post, Collection, body, ct);

    public async Task<WebhookList> ListAsync(int? pageSize, string? pageToken, CancellationToken ct)
    {
        var query = new List<string>();
        if (pageSize is { } size) query.Add($"page_size={size}");
        if (pageToken is not null) query.Add($"page_token={Uri.EscapeDataString(pageToken)}");
        var path = query.Count == 0 ? Collection : $"{Collection}?{string.Join('&', query)}";
        return await SendAsync<WebhookList>(HttpMethod.Get, path, null, ct);
    }

    public async Task<WebhookResource> GetAsync(string id, CancellationToken ct) =>
        await SendAsync<WebhookResource>(HttpMethod.Get, Item(id), null, ct);

    public async Task<WebhookResource> UpdateAsync(string id, JsonObject body, IReadOnlyCollection<string> mask, CancellationToken ct) =>
        await SendAsync<WebhookResource>(HttpMethod.Patch, $"{Item(id)}?update_mask={Uri.EscapeDataString(string.Join(',', mask))}", body, ct);

    public async Task DeleteAsync(string id, CancellationToken ct) =>
        await SendAsync<JsonObject>(HttpMethod.Delete, Item(id), null, ct);

    public async Task PingAsync(string id, CancellationToken ct) =>
        await SendAsync<JsonObject>(HttpMethod.Post, $"{Item(id)}:ping", new JsonObject(), ct);

    public async Task<RotateResult> RotateAsync(string id, string revocationBehavior, CancellationToken ct) =>
        await SendAsync<RotateResult>(HttpMethod.Post, $"{Item(id)}:rotateSigningSecret",
            new JsonObject { ["revocation_behavior"] = revocationBehavior }, ct);

    async Task<T> SendAsync<T>(HttpMethod method, string path, JsonObject? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new CliException($"{method} {path} answered {(int)response.StatusCode}: {ErrorMessage(text)}{Hint((int)response.StatusCode)}");
        if (string.IsNullOrWhiteSpace(text))
            text = "{}";
        try
        {
            return JsonSerializer.Deserialize<T>(text, CliJson.Snake) ?? throw new CliException($"{method} {path} answered an empty body.");
        }
        catch (JsonException e)
        {
            throw new CliException($"{method} {path} answered JSON of an unexpected shape: {e.Message}");
        }
    }

    /// <summary>Google APIs answer <c>{"error":{"code","message","status"}}</c>; show the message, not the JSON.</summary>
    static string ErrorMessage(string text)
    {
        try
        {
            if (JsonNode.Parse(text)?["error"] is JsonObject error)
                return $"{(string?)error["status"]} {(string?)error["message"]}".Trim();
        }
        catch (JsonException)
        {
            // Not JSON: show the start of it below.
        }
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    static string Hint(int status) => status switch
    {
        401 or 403 => " (check --api-key or GEMINI_API_KEY)",
        404 => " (check the id with `geminihooks webhooks list`, and --base-url / --api-version)",
        _ => "",
    };
}
