namespace GeminiHooks.Storage;

public enum AcceptOutcome
{
    Accepted,
    Duplicate,

    /// <summary>
    /// Stored without handler runs: an earlier terminal delivery of the same job (real or reconciled) already has them.
    /// Answered 2xx so Gemini stops retrying.
    /// </summary>
    Superseded,

    /// <summary>Like <see cref="Superseded"/>, but the earlier terminal delivery had another type: a reconcile conflict.</summary>
    Conflict,
}
