using System.Text.Json.Serialization;

namespace GeminiHooks.Notifications;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(NotificationPayload))]
sealed partial class NotificationJsonContext : JsonSerializerContext;
