using System.Text.Json;

namespace GeminiHooks.Admin;

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
