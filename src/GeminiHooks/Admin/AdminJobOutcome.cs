namespace GeminiHooks.Admin;

/// <summary>The job's first terminal event; <see cref="Reconciled"/> when the receiver synthesized it.</summary>
sealed record AdminJobOutcome(string Type, string Endpoint, string WebhookId, string RawId, bool Reconciled, DateTimeOffset At,
    int Duplicates, int Conflicts);
