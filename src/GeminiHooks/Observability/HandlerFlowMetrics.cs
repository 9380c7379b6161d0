using System.Diagnostics.Metrics;

namespace GeminiHooks.Observability;

/// <summary>
/// The per-handler flow counters, on the <c>GeminiHooks</c> meter: runs held back by a handler's rate limit (counted by
/// the dispatcher that held them) and circuit transitions (counted by <see cref="HandlerStateObserver"/> as it sees them).
/// </summary>
sealed class HandlerFlowMetrics
{
    /// <summary>The <c>reason</c> of a deferral: a rate limit is the one the dispatcher holds runs back for itself.</summary>
    public const string RateLimit = "rate_limit";

    readonly Counter<long> _deferred;
    readonly Counter<long> _transitions;

    public HandlerFlowMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(GeminiHooksMetrics.MeterName);
        _deferred = meter.CreateCounter<long>("geminihooks.handler.runs_deferred", "{run}",
            "Handler runs that waited for a token of their handler's rate limit (claimed as its empty bucket refilled), by handler and reason.");
        _transitions = meter.CreateCounter<long>("geminihooks.handler.circuit_transitions", "{transition}",
            "Circuit breaker transitions as this process saw them in the store (at most every 5 s, when scraped), by handler and the state entered (open, half_open, closed).");
    }

    public void Deferred(string handler, string reason, int runs)
    {
        if (runs > 0)
            _deferred.Add(runs, new("handler", handler), new("reason", reason));
    }

    public void Transition(string handler, string to) => _transitions.Add(1, new("handler", handler), new("to", to));
}
