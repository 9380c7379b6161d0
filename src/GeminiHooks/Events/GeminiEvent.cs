using System.Text.Json;

namespace GeminiHooks.Events;

/// <summary>
/// What every Gemini event has: the envelope fields and where the delivery came from.
/// Handlers receive one of the sealed records below (see <see cref="GeminiEventTypes"/>), or <see cref="UnknownEvent"/>.
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

/// <summary>Where and when this event arrived, and which run of which handler this is.</summary>
/// <param name="Endpoint">The receiving endpoint as stored (e.g. static or dynamic).</param>
/// <param name="WebhookId">The <c>webhook-id</c> header: the same on every redelivery, so it is the idempotency key.</param>
/// <param name="WebhookTimestamp">The <c>webhook-timestamp</c> header.</param>
/// <param name="ReceivedAt">When this receiver accepted the delivery.</param>
/// <param name="Attempt">1 on the first run of this handler for this event; counts again from 1 after a replay.</param>
/// <param name="Handler">The name of the handler being run.</param>
public sealed record DeliveryInfo(
    string Endpoint,
    string WebhookId,
    DateTimeOffset WebhookTimestamp,
    DateTimeOffset ReceivedAt,
    int Attempt,
    string Handler);

/// <summary><c>batch.succeeded</c> (older docs: <c>batch.completed</c>).</summary>
public sealed record BatchSucceeded : GeminiEvent
{
    public string? Id { get; init; }
    public string? OutputFileUri { get; init; }
}

/// <summary><c>batch.failed</c>.</summary>
public sealed record BatchFailed : GeminiEvent
{
    public string? Id { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
}

/// <summary><c>batch.cancelled</c>: removed from the SDKs' enums in April 2026, so no longer subscribable; still read when sent.</summary>
public sealed record BatchCancelled : GeminiEvent
{
    public string? Id { get; init; }
}

/// <summary><c>batch.expired</c>.</summary>
public sealed record BatchExpired : GeminiEvent
{
    public string? Id { get; init; }
}

/// <summary><c>interaction.requires_action</c>; the shape of <see cref="RequiredAction"/> is not documented, so it stays JSON.</summary>
public sealed record InteractionRequiresAction : GeminiEvent
{
    public string? Id { get; init; }
    public JsonElement? RequiredAction { get; init; }
}

/// <summary><c>interaction.completed</c>.</summary>
public sealed record InteractionCompleted : GeminiEvent
{
    public string? Id { get; init; }
    public JsonElement? Output { get; init; }
}

/// <summary><c>interaction.failed</c>.</summary>
public sealed record InteractionFailed : GeminiEvent
{
    public string? Id { get; init; }
    public string? ErrorCode { get; init; }
    public string? ErrorMessage { get; init; }
}

/// <summary><c>interaction.cancelled</c>: removed from the SDKs' enums in April 2026, so no longer subscribable; still read when sent.</summary>
public sealed record InteractionCancelled : GeminiEvent
{
    public string? Id { get; init; }
}

/// <summary><c>video.generated</c>. Sources name the fields differently; both spellings are read.</summary>
public sealed record VideoGenerated : GeminiEvent
{
    /// <summary><c>id</c>, or <c>file_id</c> when there is no <c>id</c>.</summary>
    public string? Id { get; init; }

    /// <summary><c>video_uri</c>, or <c>output_file_uri</c> when there is no <c>video_uri</c>.</summary>
    public string? VideoUri { get; init; }

    public string? FileName { get; init; }
}

/// <summary>Any type this version does not know. New Gemini types arrive this way instead of being rejected.</summary>
public sealed record UnknownEvent : GeminiEvent;
