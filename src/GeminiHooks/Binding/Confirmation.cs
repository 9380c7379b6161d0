namespace GeminiHooks.Binding;

/// <summary>What reading the job of a delivery at the Gemini API showed.</summary>
enum Confirmation
{
    /// <summary>The job exists in the operator's project, in the state the event announces.</summary>
    Confirmed,

    /// <summary><c>data.id</c> is missing, or names no job resource of the event type's family.</summary>
    NoJob,

    /// <summary>The operator's key cannot read the job (not found, or another project's).</summary>
    NotFound,

    /// <summary>The job exists but its state does not agree with the event type.</summary>
    StateMismatch,

    /// <summary>No answer (network, timeout, 5xx, 429, the request budget spent, or the key refused): try again later.</summary>
    Unavailable,
}
