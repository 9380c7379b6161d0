using GeminiHooks.Events;
using Microsoft.Extensions.Logging;

namespace GeminiHooks.Handlers.BuiltIn;

/// <summary><c>log</c>: one structured line per event (never the body, which may carry user data).</summary>
sealed partial class LogHandler(string name, ILogger logger) : IGeminiEventHandler
{
    public Task HandleAsync(GeminiEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        LogEvent(logger, name, @event.Type, @event.Delivery.Endpoint, @event.Delivery.WebhookId, @event.Delivery.Attempt,
            EventText.Describe(@event));
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Gemini event {EventType} from {Endpoint} {WebhookId} (handler {Handler}, attempt {Attempt}): {Summary}")]
    static partial void LogEvent(ILogger logger, string handler, string eventType, string endpoint, string webhookId, int attempt, string summary);
}
