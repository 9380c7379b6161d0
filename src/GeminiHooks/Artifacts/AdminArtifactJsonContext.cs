using System.Text.Json.Serialization;

namespace GeminiHooks.Artifacts;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminArtifactList))]
[JsonSerializable(typeof(AdminArtifact))]
sealed partial class AdminArtifactJsonContext : JsonSerializerContext;
