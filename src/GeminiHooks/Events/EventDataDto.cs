using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeminiHooks.Events;

/// <summary>The union of the catalog's <c>data</c> fields; each record takes the ones it has.</summary>
sealed class EventDataDto
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Id { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FileId { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? OutputFileUri { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? VideoUri { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? FileName { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ErrorCode { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? ErrorMessage { get; set; }
    public JsonElement? RequiredAction { get; set; }
    public JsonElement? Output { get; set; }
    public JsonElement? UserMetadata { get; set; }
}
