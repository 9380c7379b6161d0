using GeminiHooks.Events;

namespace GeminiHooks.Handlers;

/// <summary>
/// Handles one typed event (<see cref="BatchSucceeded"/>, …, or <see cref="UnknownEvent"/> for types this version
/// does not know). Register with <c>AddGeminiHooks(configuration).AddHandler&lt;T&gt;()</c>; one instance per run, from a DI scope.
/// Delivery is at least once: a run may repeat after a crash or a replay, so make the work idempotent
/// (<see cref="DeliveryInfo.WebhookId"/> is a stable key). Throwing fails the run, which is retried with backoff.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711",
    Justification = "It handles Gemini events; it is not a .NET event delegate, and the name is the public API.")]
public interface IGeminiEventHandler<in TEvent> where TEvent : GeminiEvent
{
    Task HandleAsync(TEvent @event, CancellationToken cancellationToken);
}

/// <summary>Handles every event, whatever its type. Same contract as <see cref="IGeminiEventHandler{TEvent}"/>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711",
    Justification = "It handles Gemini events; it is not a .NET event delegate, and the name is the public API.")]
public interface IGeminiEventHandler
{
    Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken);
}
