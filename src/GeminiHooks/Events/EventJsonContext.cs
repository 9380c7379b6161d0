using System.Text.Json.Serialization;

namespace GeminiHooks.Events;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(EnvelopeDto))]
[JsonSerializable(typeof(EventDataDto))]
sealed partial class EventJsonContext : JsonSerializerContext;
