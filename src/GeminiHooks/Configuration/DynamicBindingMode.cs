namespace GeminiHooks.Configuration;

/// <summary>How a verified dynamic delivery is tied to the operator's own jobs, and what happens when it is not.</summary>
public enum DynamicBindingMode
{
    /// <summary>Without a valid binding token: stored as <c>quarantined</c> and answered 200 (Gemini stops retrying); no handler runs until a replay.</summary>
    Quarantine,

    /// <summary>Without a valid binding token: answered 403 and not stored; Gemini retries for 24 hours, time to fix a misconfigured job.</summary>
    Reject,

    /// <summary>
    /// Without a valid binding token: the job named by <c>data.id</c> is read with the operator's Gemini API key and the
    /// delivery is accepted only when the job exists and its state agrees with the event type.
    /// </summary>
    Confirm,

    /// <summary>No binding: any delivery Google signs for this URL reaches the handlers. Warned about at start.</summary>
    Off,
}
