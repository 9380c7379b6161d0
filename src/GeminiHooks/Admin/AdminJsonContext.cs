using System.Text.Json.Serialization;

namespace GeminiHooks.Admin;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminEventList))]
[JsonSerializable(typeof(AdminEvent))]
[JsonSerializable(typeof(AdminReplayResult))]
[JsonSerializable(typeof(AdminBacklog))]
[JsonSerializable(typeof(AdminBulkReplay))]
[JsonSerializable(typeof(AdminTimeseries))]
sealed partial class AdminJsonContext : JsonSerializerContext;
