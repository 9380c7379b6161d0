using System.Diagnostics.Metrics;

namespace GeminiHooks.Observability;

/// <summary><c>geminihooks.notifications</c>: messages of <c>Notify</c> by kind and result (sent, failed).</summary>
internal sealed class NotificationMetrics
{
    readonly Counter<long> _notifications;

    public NotificationMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(GeminiHooksMetrics.MeterName);
        _notifications = meter.CreateCounter<long>("geminihooks.notifications", "{message}",
            "Notification messages (Notify) by kind and result: sent, or failed (retried with backoff).");
    }

    public void Sent(string kind) => _notifications.Add(1, new("kind", kind), new("result", "sent"));

    public void Failed(string kind) => _notifications.Add(1, new("kind", kind), new("result", "failed"));
}
