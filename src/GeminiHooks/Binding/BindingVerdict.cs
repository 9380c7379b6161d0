namespace GeminiHooks.Binding;

/// <summary>What happens to a verified dynamic delivery once its binding is known.</summary>
enum BindingVerdict
{
    /// <summary>Tied to the operator's jobs (or binding is off): stored and dispatched.</summary>
    Bound,

    /// <summary>Not tied: stored as quarantined, answered 200, never dispatched until a replay.</summary>
    Quarantine,

    /// <summary>Not tied: answered 403, not stored; Gemini retries.</summary>
    Reject,

    /// <summary>Whether it is tied cannot be known now (the Gemini API did not answer): 503, Gemini retries.</summary>
    Unavailable,
}
