using System.Text.Json;

namespace GeminiHooks.Events;

/// <summary>
/// What every Gemini event has: the envelope fields and where the delivery came from.
/// Handlers receive one of the sealed records of this folder (see <see cref="GeminiEventTypes"/>), or <see cref="UnknownEvent"/>.
/// </summary>
public abstract record GeminiEvent
{
    /// <summary>The type as stored (e.g. <c>batch.completed</c> stays <c>batch.completed</c> on a <see cref="BatchSucceeded"/>).</summary>
    public required string Type { get; init; }

    public string? Version { get; init; }

    /// <summary>The envelope <c>timestamp</c>; null when missing or not ISO 8601.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The request's <c>user_metadata</c> (dynamic webhooks), read from the top level or from <c>data</c>.</summary>
    public JsonElement? UserMetadata { get; init; }

    /// <summary>The raw <c>data</c> object, for fields this version does not model; <c>Undefined</c> when absent.</summary>
    public JsonElement Data { get; init; }

    public required DeliveryInfo Delivery { get; init; }

    /// <summary>The exact verified bytes, so forwarding handlers can pass the event on unchanged.</summary>
    internal ReadOnlyMemory<byte> RawBody { get; init; }
}
