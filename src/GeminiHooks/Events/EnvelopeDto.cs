using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeminiHooks.Events;

sealed class EnvelopeDto
{
    [JsonConverter(typeof(LenientStringConverter))] public string? Type { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Version { get; set; }
    [JsonConverter(typeof(LenientStringConverter))] public string? Timestamp { get; set; }
    public JsonElement? Data { get; set; }
    public JsonElement? UserMetadata { get; set; }
}
