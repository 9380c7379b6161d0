using System.Text.Json.Serialization;

namespace GeminiHooks.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminTrackRequest))]
[JsonSerializable(typeof(AdminJobList))]
[JsonSerializable(typeof(AdminTrackedJob))]
[JsonSerializable(typeof(AdminWatchdog))]
sealed partial class AdminJobJsonContext : JsonSerializerContext;
