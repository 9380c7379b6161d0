using System.Text.Json;
using System.Text.Json.Nodes;

namespace GeminiHooks.Cli.Common;

/// <summary>JSON settings shared by the CLI and the emulator: Gemini's REST resources are snake_case.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Snake = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly JsonSerializerOptions Pretty = new(Snake) { WriteIndented = true };

    /// <summary>Parses a JSON object given on the command line, with an error that names the option.</summary>
    public static JsonObject ParseObject(string json, string optionName)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new CliException($"{optionName} is not valid JSON: {e.Message}"); }
        return node as JsonObject ?? throw new CliException($"{optionName} must be a JSON object ({{...}}).");
    }

    /// <summary>RFC 3339 in UTC with a Z suffix, as Google APIs write timestamps.</summary>
    public static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
