using System.Text.Json.Serialization;

namespace GeminiHooks.Handlers.BuiltIn;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SlackMessage))]
sealed partial class SlackJsonContext : JsonSerializerContext;
