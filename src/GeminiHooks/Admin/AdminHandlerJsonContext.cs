using System.Text.Json.Serialization;

namespace GeminiHooks.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminHandlerList))]
[JsonSerializable(typeof(AdminHandlerStateChange))]
sealed partial class AdminHandlerJsonContext : JsonSerializerContext;
