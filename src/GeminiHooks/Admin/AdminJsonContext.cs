using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeminiHooks.Admin;

sealed record AdminEventList(IReadOnlyList<AdminEvent> Events, string? NextCursor);

/// <summary>One stored event; <see cref="Body"/> only on the single-event answer (<see cref="BodyBase64"/> if it is not JSON).</summary>
sealed record AdminEvent(
    long Id,
    string Endpoint,
    string WebhookId,
    long WebhookTimestamp,
    DateTimeOffset ReceivedAt,
    string Type,
    string Status,
    IReadOnlyList<AdminHandlerRun> Handlers,
    JsonElement? Body,
    string? BodyBase64);

sealed record AdminHandlerRun(
    string Handler,
    string Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset UpdatedAt);

sealed record AdminReplayResult(int Queued, IReadOnlyList<string>? Handlers);

/// <summary>A bulk replay: the dry run's count alone, a started one's id, or its progress with its audit record.</summary>
sealed record AdminBulkReplay(string? Id, long Matched, long? Enqueued = null, string? Status = null, string? RequestedBy = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>(event, handler) pairs by status.</summary>
sealed record AdminBacklog(long Pending, long Running, long Succeeded, long Dead);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AdminEventList))]
[JsonSerializable(typeof(AdminEvent))]
[JsonSerializable(typeof(AdminReplayResult))]
[JsonSerializable(typeof(AdminBacklog))]
[JsonSerializable(typeof(AdminBulkReplay))]
[JsonSerializable(typeof(AdminTimeseries))]
sealed partial class AdminJsonContext : JsonSerializerContext;
